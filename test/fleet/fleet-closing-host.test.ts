/**
 * A host that accepts the TCP connection and closes it at once (a port forward with its backend
 * down, tcp wrappers, a proxy) ends unreachable after the few retries the handshake cap allows,
 * within a bound: it used to be retried for ever.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { Inventory } from "../../src/fleet/inventory.js";
import { Fleet } from "../../src/fleet/fleet.js";

test("a host that closes every connection before the banner ends unreachable, retries or not", async (t) => {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  server.on("connection", (socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  for (const retries of [0, 2]) {
    connections = 0;
    const inventory = Inventory.fromHosts(["127.0.0.1"], { user: "nobody", port });
    await using fleet = new Fleet(inventory.select("all"), { sshConfig: false, agent: false, retries, retryDelay: 10, connectTimeout: 5000 });
    const results = await fleet.run("true").results();
    const result = [...results.values()][0]!;
    assert.equal(result.state, "unreachable", `${result.state}: ${result.reason ?? ""}`);
    // The shed-load retries (6) and the --retries ones, then it stops.
    assert.ok(connections >= 1 && connections <= 7 + retries, `retries ${retries}: ${connections} connections`);
  }
});

test("a host whose port Node refuses ends unreachable at once, naming it (it crashed the run when the connect timeout fired)", async () => {
  const inventory = Inventory.fromHosts(["127.0.0.1"], { user: "nobody", port: 70000 });
  await using fleet = new Fleet(inventory.select("all"), { sshConfig: false, agent: false, connectTimeout: 200 });
  const results = await fleet.run("true").results();
  const result = [...results.values()][0]!;
  assert.equal(result.state, "unreachable");
  assert.equal(result.kind, "dns");
  assert.equal(result.reason, "invalid address or port");
});
