/** Targets of bench/multiprocessing/thread-pipe.bench.ts, in a module of their own for the workers to import. */
import type { ThreadConnection } from "../../src/multiprocessing/index.js";

/** Receives `count` byte messages with the blocking call, then sends back how many bytes came. */
export function sinkBytesSync(conn: ThreadConnection, count: number): void {
  let total = 0;
  for (let i = 0; i < count; i++) total += conn.recvBytesSync({ timeout: 60_000 }).length;
  conn.send(total);
  conn.close();
}
