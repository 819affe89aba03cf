/**
 * BaseManager as Python's docs show it: a queue served on one "host" process, producers and
 * consumers in other processes connecting with the address and the authkey, over TCP on loopback
 * and over a unix socket.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuthenticationError, BaseManager, Pipe, Process, type Address } from "../../src/multiprocessing/index.js";
import { QueueManager, consume, counterFactory, makeTagReader, markServer, produce, serveQueues, type RemoteQueue } from "./manager-fixtures.js";
import type { AutoProxy } from "../../src/multiprocessing/index.js";
import type { makeCounter } from "./manager-fixtures.js";

const AUTHKEY = "abracadabra";

async function startHost(address: Address, t: { after(fn: () => unknown): void }): Promise<Address> {
  const [reader, writer] = await Pipe({ duplex: false });
  const host = new Process({ target: serveQueues, args: [address, AUTHKEY, writer] });
  host.start();
  t.after(async () => {
    host.terminate();
    await host.join();
  });
  return (await reader.recv()) as Address;
}

async function producersAndConsumers(address: Address, producers: number, consumers: number, count: number): Promise<void> {
  const started = [
    ...Array.from({ length: producers }, () => new Process({ target: produce, args: [address, AUTHKEY, count] })),
    ...Array.from({ length: consumers }, () => new Process({ target: consume, args: [address, AUTHKEY] })),
  ];
  for (const p of started) p.start();
  for (const p of started) await p.join();
  assert.deepEqual(started.map((p) => p.exitcode), started.map(() => 0));
  const manager = await new QueueManager({ address, authkey: AUTHKEY }).connect();
  const results = await manager.create<RemoteQueue>("getResults");
  let total = 0;
  for (let i = 0; i < consumers; i++) total += ((await results.get({ timeout: 10_000 })) as { sum: number }).sum;
  assert.equal(total, (producers * count * (count + 1)) / 2);
  await manager.shutdown();
}

test("remote queue over TCP on loopback: 2 producers and 2 consumers in their own processes", async (t) => {
  const address = await startHost(["127.0.0.1", 0], t);
  assert.ok(Array.isArray(address) && address[0] === "127.0.0.1" && address[1] > 0);
  await producersAndConsumers(address, 2, 2, 50);
});

test("remote queue over a unix socket", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "shoal-mgr-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const address = await startHost(join(dir, "queue.sock"), t);
  await producersAndConsumers(address, 1, 1, 20);
});

test("a wrong authkey is refused with AuthenticationError, and the server goes on serving", async (t) => {
  const address = await startHost(["127.0.0.1", 0], t);
  await assert.rejects(new QueueManager({ address, authkey: "wrong key" }).connect(), AuthenticationError);
  const manager = await new QueueManager({ address, authkey: AUTHKEY }).connect();
  const queue = await manager.create<RemoteQueue>("getQueue");
  await queue.put("still serving");
  assert.equal(await queue.get(), "still serving");
  await manager.shutdown();
});

test("an empty host means loopback, not every interface", async () => {
  const manager = new BaseManager({ address: ["", 0], authkey: AUTHKEY });
  const server = manager.getServer();
  await server.ready();
  assert.equal((server.address as [string, number])[0], "127.0.0.1");
  await manager.shutdown();
});

class CounterManager extends BaseManager {}
CounterManager.register("Counter", counterFactory, { methodToTypeid: { read: "Counter" } });
CounterManager.register("PublicCounter", counterFactory);

test("start() serves registered types in a server process; exposed defaults to public methods", async () => {
  await using manager = await new CounterManager({ authkey: AUTHKEY }).start();
  const counter = await manager.create<AutoProxy<ReturnType<typeof makeCounter>>>("PublicCounter", 10);
  assert.equal(await counter.increment(5), 15);
  assert.equal(await counter.read(), 15);
  assert.equal((counter as unknown as Record<string, unknown>)._secret, undefined, "private names are not on the proxy");
  await assert.rejects(counter.callMethod("_secret"), /not exposed/);
  const created = (manager as unknown as { PublicCounter(start: number): Promise<AutoProxy<ReturnType<typeof makeCounter>>> }).PublicCounter;
  assert.equal(typeof created, "function", "register() adds a method named after the typeid");
  assert.equal(await (await created.call(manager, 1)).read(), 1);
});

test("start() refuses a factory that cannot run in the server process", async () => {
  class Closures extends BaseManager {}
  const bound = function (this: { n: number }) {
    return { read: () => this.n };
  }.bind({ n: 1 });
  Closures.register("Thing", bound);
  await assert.rejects(new Closures({ authkey: AUTHKEY }).start(), TypeError);
});

class TagManager extends BaseManager {}
TagManager.register("TagReader", makeTagReader);

test("start({ initializer, initargs }) runs the initializer in the server process first", async () => {
  await using manager = await new TagManager({ authkey: AUTHKEY }).start({ initializer: markServer, initargs: ["initialized"] });
  const reader = await manager.create<AutoProxy<ReturnType<typeof makeTagReader>>>("TagReader");
  assert.equal(await reader.tag(), "initialized");
  assert.equal(await reader.pid(), manager.pid);
  assert.notEqual(manager.pid, process.pid);
});

test("getServer().serveForever({ signal }) returns when the signal aborts", async () => {
  const manager = new TagManager({ authkey: AUTHKEY });
  const server = manager.getServer();
  const controller = new AbortController();
  const serving = server.serveForever({ signal: controller.signal });
  const reader = await manager.create<AutoProxy<ReturnType<typeof makeTagReader>>>("TagReader");
  assert.equal(await reader.pid(), process.pid, "served in this process");
  controller.abort();
  await serving;
  assert.equal(server.stopped, true);
  await manager.shutdown();
});
