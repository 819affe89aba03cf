/**
 * A helper process run (synchronously) by a process that exits before its connection to the owner
 * of its shared objects was up, with calls that must still arrive (see `client.ts`). It reads the
 * address, the authkey and the requests on stdin, connects, sends them, and waits for their answers
 * so that the owner has acted on each before the exiting process is gone.
 */
import { deserialize } from "node:v8";
import { Client } from "./listener.js";
import type { LateDelivery } from "./client.js";

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const { address, authkey, requests } = deserialize(Buffer.concat(chunks)) as LateDelivery;
try {
  const conn = await Client(address, { authkey, timeout: 5000 });
  for (const request of requests) await conn.sendRaw(request);
  for (let i = 0; i < requests.length; i++) await conn.recvFrame("recv");
  conn.close();
} catch (error) {
  process.stderr.write(`shoal: late delivery to ${JSON.stringify(address)} failed: ${(error as Error)?.message ?? String(error)}\n`);
  process.exitCode = 1;
}
