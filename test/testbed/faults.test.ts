import { test } from "node:test";
import assert from "node:assert/strict";
import { connect as netConnect, type Socket } from "node:net";
import { startTestbed } from "../../src/testbed/index.js";
import { call, connectTo, exec, sftpOf } from "./helpers.js";

test("a refusing host has nothing listening on its address", async (t) => {
  const testbed = await startTestbed({ hosts: 2, faults: { web01: { refuse: true } } });
  t.after(() => testbed.stop());
  await assert.rejects(connectTo(testbed, testbed.host("web01")), { code: "ECONNREFUSED" });
  // Its neighbour, on the same port, answers.
  const client = await connectTo(testbed, testbed.host("web02"));
  client.end();
  assert.deepEqual(testbed.host("web01").faults, { refuse: true });
});

test("a hanging host accepts the connection and never sends a banner", async (t) => {
  const testbed = await startTestbed({ hosts: 1, faults: { web01: { hang: true } } });
  t.after(() => testbed.stop());
  const host = testbed.hosts[0]!;
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = netConnect({ host: host.address, port: host.port }, () => resolve(s));
    s.once("error", reject);
  });
  t.after(() => socket.destroy());
  let received = 0;
  socket.on("data", (d: Buffer) => (received += d.length));
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(received, 0);
  assert.equal(testbed.connectionCount("web01"), 1);
  await assert.rejects(connectTo(testbed, host, { readyTimeout: 300 }), /Timed out while waiting for handshake/);
});

test("an auth-fail host rejects the right credentials", async (t) => {
  const testbed = await startTestbed({ hosts: 1, faults: { web01: { authFail: true } } });
  t.after(() => testbed.stop());
  const host = testbed.hosts[0]!;
  await assert.rejects(connectTo(testbed, host), /All configured authentication methods failed/);
  await assert.rejects(connectTo(testbed, host, { privateKey: undefined, password: testbed.password }), /All configured authentication methods failed/);
});

test("a dropping host cuts the connection mid-command, before any exit status", async (t) => {
  const testbed = await startTestbed({ hosts: 1, faults: { web01: { drop: true, dropAfter: 150 } } });
  t.after(() => testbed.stop());
  const client = await connectTo(testbed, testbed.hosts[0]!);
  client.on("error", () => {});
  const closed = new Promise<void>((resolve) => client.once("close", () => resolve()));
  const started = performance.now();
  const result = await exec(client, "echo first; sleep 5; echo never");
  const elapsed = performance.now() - started;
  await closed;
  assert.equal(result.stdout, "first\n");
  assert.equal(result.code, null);
  assert.ok(elapsed >= 100 && elapsed < 3000, `dropped after ${elapsed.toFixed(0)} ms`);
  // Even a command that ends at once never reports its status.
  const again = await connectTo(testbed, testbed.hosts[0]!);
  again.on("error", () => {});
  const quick = await exec(again, "true");
  assert.equal(quick.code, null);
});

test("latency is added to every round trip", async (t) => {
  const testbed = await startTestbed({ hosts: 2, faults: { web01: { latency: 120 } } });
  t.after(() => testbed.stop());
  const slow = await connectTo(testbed, testbed.host("web01"));
  const fast = await connectTo(testbed, testbed.host("web02"));
  t.after(() => {
    slow.end();
    fast.end();
  });
  const time = async (client: typeof slow) => {
    const started = performance.now();
    await exec(client, "true");
    return performance.now() - started;
  };
  const slowMs = await time(slow);
  const fastMs = await time(fast);
  // Channel open, exec request, and the output/exit each wait for one delayed reply.
  assert.ok(slowMs >= 240, `exec on the slow host took ${slowMs.toFixed(0)} ms`);
  assert.ok(slowMs > fastMs + 150, `exec took ${slowMs.toFixed(0)} ms on the slow host, ${fastMs.toFixed(0)} ms on the fast one`);
});

test("a slow host caps the bandwidth each way", async (t) => {
  const testbed = await startTestbed({ hosts: 1, slow: 2 });
  t.after(() => testbed.stop());
  assert.equal(testbed.hosts[0]!.faults.slow, 2);
  const client = await connectTo(testbed, testbed.hosts[0]!);
  t.after(() => client.end());
  // Download: 1 MB at 2 MB/s takes about half a second.
  let started = performance.now();
  const result = await exec(client, "head -c 1000000 /dev/zero");
  let elapsed = performance.now() - started;
  assert.equal(result.stdout.length, 1_000_000);
  assert.ok(elapsed >= 400, `1 MB down took ${elapsed.toFixed(0)} ms at 2 MB/s`);
  // Upload through SFTP: the same.
  const sftp = await sftpOf(client);
  started = performance.now();
  await call((cb) => sftp.writeFile("up.bin", Buffer.alloc(1_000_000), (err) => cb(err, undefined)));
  elapsed = performance.now() - started;
  assert.ok(elapsed >= 400, `1 MB up took ${elapsed.toFixed(0)} ms at 2 MB/s`);
});

test("random faults pick the asked number of hosts, the same ones for the same seed", async (t) => {
  const a = await startTestbed({ hosts: 20, random: { hang: 2, refuse: 1, authFail: 1, drop: 1, seed: 42 } });
  t.after(() => a.stop());
  const faulty = (tb: typeof a) => tb.hosts.filter((h) => Object.keys(h.faults).length > 0).map((h) => `${h.name}:${Object.keys(h.faults).join()}`);
  const picked = faulty(a);
  assert.equal(picked.length, 5);
  assert.equal(picked.filter((p) => p.endsWith(":hang")).length, 2);
  const b = await startTestbed({ hosts: 20, random: { hang: 2, refuse: 1, authFail: 1, drop: 1, seed: 42 }, address: "127.0.20.1" });
  t.after(() => b.stop());
  assert.deepEqual(faulty(b), picked);
  assert.match(a.inventory(), /testbed_fault: hang/);
});

test("faults on an unknown host are refused with the host named", async () => {
  await assert.rejects(startTestbed({ hosts: 2, faults: { nope: { hang: true } } }), /Cannot set faults on "nope"/);
});
