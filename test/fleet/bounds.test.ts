import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { OutputStore } from "../../src/fleet/output-store.js";
import { openFileLimit, planForks } from "../../src/fleet/limits.js";
import { DEFAULT_HANDSHAKES_PER_SERVER, HandshakeGate, PROBE_HANDSHAKES_PER_SERVER } from "../../src/fleet/handshake-gate.js";
import { createServer } from "node:net";
import { Fleet } from "../../src/fleet/fleet.js";
import { adHocHost } from "../../src/fleet/host.js";

test("output past the per-host or shared budget spills to disk and reads back whole", async () => {
  const store = new OutputStore({ perHost: 1024, total: 4096 });
  try {
    const small = store.create("small");
    await small.append(Buffer.from("hello\n"));
    await small.close();
    assert.equal(small.path, undefined);
    assert.equal(small.inMemory(), "hello\n");

    const big = store.create("big");
    const chunk = Buffer.alloc(700, "x");
    for (let i = 0; i < 10; i++) await big.append(chunk);
    await big.close();
    assert.ok(big.path && existsSync(big.path));
    assert.equal(big.size, 7000);
    assert.equal(big.inMemory(), undefined);
    assert.equal((await big.buffer()).length, 7000);

    // Many hosts: once the shared budget is spent, even small outputs go to disk.
    const many = Array.from({ length: 10 }, (_, i) => store.create(`h${i}`));
    for (const o of many) await o.append(Buffer.alloc(900, "y"));
    await Promise.all(many.map((o) => o.close()));
    assert.ok(many.filter((o) => o.path === undefined).length <= 4);
    assert.ok(many.every((o) => o.size === 900));
    const same = many.map((o) => o.digest);
    assert.equal(new Set(same).size, 1);
  } finally {
    await store.dispose();
  }
});

test("forks shrink to fit the open-file limit, with a message saying what to do", () => {
  assert.deepEqual(planForks(64, 1, 1024), { forks: 64 });
  const plan = planForks(5000, 3, 1024);
  assert.equal(plan.forks, Math.floor((1024 - 64) / 3));
  assert.match(plan.warning!, /forks 5000 needs about 15064 open files but ulimit -n is 1024: running 320 hosts at a time \(raise it with ulimit -n 15064\)/);
  assert.deepEqual(planForks(10, 1, undefined), { forks: 10 });
  const limit = openFileLimit();
  assert.ok(limit === undefined || limit > 0);
});

test("the handshake gate caps slots per server; loopback addresses share one server per port", async () => {
  assert.equal(HandshakeGate.serverKey("127.0.1.7", 22), HandshakeGate.serverKey("127.0.9.1", 22));
  assert.notEqual(HandshakeGate.serverKey("127.0.1.7", 22), HandshakeGate.serverKey("127.0.1.7", 2222));
  assert.notEqual(HandshakeGate.serverKey("web1", 22), HandshakeGate.serverKey("web2", 22));
  const gate = new HandshakeGate(3);
  const key = "loopback:22";
  const slots = await Promise.all([gate.acquire(key), gate.acquire(key), gate.acquire(key)]);
  let fourth = false;
  const p = gate.acquire(key).then((s) => {
    fourth = true;
    return s;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(fourth, false);
  slots[0]!.release();
  slots[0]!.release(); // twice is harmless
  (await p).release();
  assert.equal(fourth, true);
  slots[1]!.release();
  slots[2]!.release();
  gate.dropped(key);
  assert.equal(gate.limit(key), 1);
  gate.succeeded(key);
  assert.equal(gate.limit(key), 2);
  const ac = new AbortController();
  const s1 = await gate.acquire(key);
  const s2 = await gate.acquire(key);
  const waiting = gate.acquire(key, ac.signal);
  ac.abort(new Error("stop"));
  await assert.rejects(waiting, /stop/);
  s1.release();
  s2.release();
});

test("the default handshake gate probes upward until a server drops, then keeps to the safe default", () => {
  const gate = new HandshakeGate();
  const key = "loopback:22";
  assert.equal(gate.limit(key), DEFAULT_HANDSHAKES_PER_SERVER);
  for (let i = 0; i < 100; i++) gate.succeeded(key);
  assert.equal(gate.limit(key), PROBE_HANDSHAKES_PER_SERVER);
  gate.dropped(key);
  assert.equal(gate.limit(key), DEFAULT_HANDSHAKES_PER_SERVER);
  for (let i = 0; i < 100; i++) gate.succeeded(key);
  assert.equal(gate.limit(key), DEFAULT_HANDSHAKES_PER_SERVER);
  // Another server probes on its own; an explicit cap is never exceeded.
  gate.succeeded("loopback:2222");
  assert.equal(gate.limit("loopback:2222"), DEFAULT_HANDSHAKES_PER_SERVER + 1);
  const fixed = new HandshakeGate(3);
  for (let i = 0; i < 10; i++) fixed.succeeded(key);
  assert.equal(fixed.limit(key), 3);
});

test("ssh2 signs and verifies with cached key objects, with the same results", async () => {
  await import("../../src/fleet/connection.js"); // installs the cache
  const { utils } = (await import("ssh2")).default;
  const pair = utils.generateKeyPairSync("ed25519");
  const priv = utils.parseKey(pair.private);
  const pub = utils.parseKey(pair.public);
  assert.ok(!(priv instanceof Error) && !Array.isArray(priv) && !(pub instanceof Error) && !Array.isArray(pub));
  const data = Buffer.from("exchange hash");
  const sig = priv.sign(data);
  assert.ok(Buffer.isBuffer(sig) && sig.length === 64);
  assert.equal(pub.verify(data, sig), true);
  assert.equal(pub.verify(Buffer.from("another hash"), sig), false);
  assert.equal(priv.sign(data).equals(sig), true); // ed25519 is deterministic: same key, same signature
});

test("a released output gives its memory back to the shared budget and removes its spill file", async () => {
  const store = new OutputStore({ perHost: 1024, total: 1024 });
  try {
    const first = store.create("first");
    await first.append(Buffer.alloc(1000, "a"));
    await first.close();
    const spilled = store.create("spilled");
    await spilled.append(Buffer.alloc(100, "b"));
    await spilled.close();
    const path = spilled.path;
    assert.ok(path && existsSync(path), "the budget was spent: spilled");
    await spilled.release();
    assert.equal(existsSync(path), false);
    await first.release();
    const next = store.create("next");
    await next.append(Buffer.alloc(1000, "c"));
    await next.close();
    assert.equal(next.path, undefined, "kept in memory again");
  } finally {
    await store.dispose();
  }
});

test("the spill folder goes with its last spill file, so a fleet never closed leaves no folder behind", async () => {
  const store = new OutputStore({ perHost: 10, total: 10 });
  const spill = async (label: string) => {
    const o = store.create(label);
    await o.append(Buffer.alloc(100, "x"));
    await o.close();
    return o;
  };
  const [a, b] = [await spill("a"), await spill("b")];
  const folder = dirname(a.path!);
  await a.release();
  assert.ok(existsSync(folder), "b still has its file there");
  await b.release();
  assert.equal(existsSync(folder), false);
  const c = await spill("c");
  assert.ok(c.path && existsSync(c.path), "a later spill makes a new folder");
  assert.equal((await c.buffer()).length, 100);
  const again = dirname(c.path);
  await c.release();
  assert.equal(existsSync(again), false);
});

test("the gate lets everyone through to a server that let a handshake time out with no banner to anyone, until it answers", async () => {
  const gate = new HandshakeGate(2);
  const key = HandshakeGate.serverKey("127.0.0.1", 2022);
  const since = performance.now();
  const held = [await gate.acquire(key), await gate.acquire(key)];
  let third = false;
  const waiting = gate.acquire(key).then((slot) => ((third = true), slot));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(third, false);
  gate.timedOutWithoutBanner(key, since);
  const slot = await waiting;
  assert.equal(third, true);
  // Silent: later hosts do not wait either.
  const fourth = await gate.acquire(key);
  // It answers again: back to its cap.
  gate.answered(key);
  let fifth = false;
  void gate.acquire(key).then(() => (fifth = true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(fifth, false);
  // A handshake that timed out while the server answered others (slow, not hung) changes nothing.
  gate.timedOutWithoutBanner(key, since);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(fifth, false);
  for (const s of [...held, slot, fourth]) s.release();
});

test("hosts of a server that accepts and never answers time out within two connect timeouts, not in waves", async (t) => {
  const sockets = new Set<import("node:net").Socket>();
  const server = createServer((s) => sockets.add(s));
  await new Promise<void>((resolve) => server.listen(0, "0.0.0.0", resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const port = (server.address() as import("node:net").AddressInfo).port;
  const hosts = Array.from({ length: 60 }, (_, i) => adHocHost(`127.0.4.${i + 1}`, { port, user: "nobody" }));
  await using fleet = new Fleet(hosts, { knownHosts: false, sshConfig: false, agent: false, connectTimeout: 2000 });
  const started = performance.now();
  const results = await fleet.run("true").results();
  const elapsed = performance.now() - started;
  assert.ok(results.every((r) => r.state === "timeout"), JSON.stringify(results.filter((r) => r.state !== "timeout")));
  // In waves of 8, a grace (1 s) each, it took 9 s: now the first wave's timeout lets the rest through.
  assert.ok(elapsed < 2 * 2000 + 1500, `${Math.round(elapsed)} ms`);
});
