import { test } from "node:test";
import assert from "node:assert/strict";
import { Event, Lock, Thread } from "../../src/threading/index.js";
import { Empty, LifoQueue, PriorityQueue, Queue, ShutDown, SimpleQueue } from "../../src/queue/index.js";
import * as workers from "./fixtures/workers.js";

/** Starts a worker Thread running `target(...args)`; joined after the test even when it fails. */
function spawn(t: { after(fn: () => unknown): void }, target: (...args: never[]) => unknown, args: unknown[]): Thread {
  const thread = new Thread({ target: target as (...args: unknown[]) => unknown, args, worker: true });
  thread.start();
  t.after(() => thread.join({ timeout: 10_000 }));
  return thread;
}

test("a queue passed to a worker thread is the same queue there: items come out in order", async (t) => {
  const q = new Queue<number>();
  spawn(t, workers.produce, [q, 0, 10_000]);
  for (let i = 0; i < 10_000; i++) assert.equal(await q.get(), i);
  assert.equal(q.qsize(), 0);
});

test("once shared, a thread still gets back the very objects it put; another thread gets copies", async (t) => {
  const q = new Queue<unknown>();
  const out = new Queue<unknown>();
  const thread = spawn(t, workers.echoSync, [q, out]);
  const job = { id: 1, tags: ["a"] };
  await q.put(job);
  const copy = await out.get({ timeout: 10_000 });
  assert.deepEqual(copy, job);
  assert.notEqual(copy, job);
  // a queue inside an item, sent there and back, comes back as this very queue
  const inner = new Queue<number>();
  await q.put({ inner });
  assert.equal(((await out.get({ timeout: 10_000 })) as { inner: Queue<number> }).inner, inner);
  await q.put(null);
  assert.equal(await out.get({ timeout: 10_000 }), null);
  await thread.join();
  // Nobody else reads now: what this thread puts, it gets back itself.
  const bytes = new Uint8Array([1, 2, 3]);
  await q.put(job);
  await q.put(bytes);
  q.putNowait(job);
  assert.equal(await q.get(), job);
  assert.equal(q.getNowait(), bytes);
  assert.equal(await q.get({ timeout: 10 }), job);
});

test("items put before the queue crossed are still there, in order, on the other side", async (t) => {
  const q = new Queue<unknown>();
  const out = new Queue<unknown>();
  for (const item of [1, "two", { three: [3] }, null]) await q.put(item);
  const thread = spawn(t, workers.echoSync, [q, out]);
  assert.deepEqual([await out.get(), await out.get(), await out.get(), await out.get()], [1, "two", { three: [3] }, null]);
  await thread.join();
});

test("several producer and consumer threads: every item consumed exactly once, join after the last taskDone", async (t) => {
  const q = new Queue<number>(100);
  const out = new Queue<number>();
  const per = 5_000;
  spawn(t, workers.produceSync, [q, 0, per]);
  spawn(t, workers.produce, [q, per, per]);
  spawn(t, workers.consumeSync, [q, out]);
  spawn(t, workers.consumeAsync, [q, out]);
  const seen = new Uint8Array(2 * per);
  for (let i = 0; i < 2 * per; i++) {
    const item = await out.get();
    assert.equal(seen[item], 0, `item ${item} consumed twice`);
    seen[item] = 1;
  }
  assert.equal(await q.join({ timeout: 10_000 }), true);
  assert.equal(q.unfinishedTasks, 0);
  q.shutdown();
  assert.equal(seen.reduce((a, b) => a + b, 0), 2 * per);
});

test("maxsize blocks a producer thread until the consumer takes an item", async (t) => {
  const q = new Queue<string>(1);
  const out = new Queue<string>();
  await q.put("first");
  spawn(t, workers.putSyncOnce, [q, "second", out]);
  await assert.rejects(out.get({ timeout: 100 }), Empty); // still blocked
  assert.equal(await q.get(), "first");
  assert.equal(await out.get({ timeout: 10_000 }), "put");
  assert.equal(await q.get(), "second");
});

test("join in a worker thread waits for taskDone in this one", async (t) => {
  const q = new Queue<number>();
  const out = new Queue<string>();
  for (let i = 0; i < 3; i++) await q.put(i);
  spawn(t, workers.joinSync, [q, out]);
  for (let i = 0; i < 3; i++) {
    await q.get();
    await assert.rejects(out.get({ timeout: 20 }), Empty);
    q.taskDone();
  }
  assert.equal(await out.get({ timeout: 10_000 }), "joined");
});

test("join here waits for taskDone in a worker thread", async (t) => {
  const q = new Queue<number>();
  for (let i = 0; i < 5; i++) await q.put(i);
  spawn(t, workers.finishTasks, [q, 5]);
  assert.equal(await q.join({ timeout: 10_000 }), true);
  assert.equal(q.qsize(), 0);
});

test("getSync in a worker times out with Empty, and shutdown wakes it with ShutDown", async (t) => {
  const q = new Queue<number>();
  const out = new Queue<string>();
  spawn(t, workers.getSyncOnce, [q, out, 30]);
  assert.equal(await out.get({ timeout: 10_000 }), "Empty");
  spawn(t, workers.getSyncOnce, [q, out]);
  spawn(t, workers.getSyncOnce, [q, out]);
  await new Promise((resolve) => setTimeout(resolve, 100));
  q.shutdown();
  assert.deepEqual([await out.get({ timeout: 10_000 }), await out.get({ timeout: 10_000 })], ["ShutDown", "ShutDown"]);
});

test("shutdown({ immediate }) wakes waiting gets in every thread at once and releases join", async (t) => {
  const q = new Queue<number>();
  const out = new Queue<string>();
  spawn(t, workers.getSyncOnce, [q, out]);
  spawn(t, workers.getSyncOnce, [q, out]);
  const here = q.get();
  await new Promise((resolve) => setTimeout(resolve, 100));
  const other = new Queue<number>();
  for (let i = 0; i < 3; i++) await other.put(i);
  spawn(t, workers.joinSync, [other, out]);
  await new Promise((resolve) => setTimeout(resolve, 50));
  q.shutdown({ immediate: true });
  other.shutdown({ immediate: true });
  await assert.rejects(here, ShutDown);
  const reports = [await out.get({ timeout: 10_000 }), await out.get({ timeout: 10_000 }), await out.get({ timeout: 10_000 })];
  assert.deepEqual(reports.sort(), ["ShutDown", "ShutDown", "joined"]);
});

test("shutdown in a worker wakes a get waiting here; a full put in a worker wakes with ShutDown", async (t) => {
  const q = new Queue<number>(1);
  const out = new Queue<string>();
  await q.put(1);
  spawn(t, workers.putSyncOnce, [q, 2, out]);
  await new Promise((resolve) => setTimeout(resolve, 50));
  q.shutdown();
  assert.equal(await out.get({ timeout: 10_000 }), "ShutDown");
  assert.equal(await q.get(), 1);
  await assert.rejects(q.get(), ShutDown);
});

test("an item that cannot cross fails its put at once, naming its type, and leaves the queue as it was", async (t) => {
  const q = new Queue<unknown>();
  const out = new Queue<string>();
  spawn(t, workers.putBad, [q, out]);
  const message = await out.get({ timeout: 10_000 });
  assert.match(message, /^TypeError: .*function/);
  class Point {
    constructor(readonly x: number) {}
  }
  await q.put("before");
  await assert.rejects(q.put(new Point(1)), (e: unknown) => e instanceof TypeError && /Point/.test(e.message));
  assert.throws(() => q.putNowait(() => 1), TypeError);
  await assert.rejects(q.put(Symbol("s")), TypeError);
  assert.equal(q.qsize(), 1);
  assert.equal(q.unfinishedTasks, 1);
  assert.equal(await q.get(), "before");
});

test("a queue holding an item that cannot cross refuses to cross, and stays usable here", async () => {
  const q = new Queue<unknown>();
  const fn = (): number => 1;
  await q.put(fn);
  assert.throws(() => new Thread({ target: workers.echoSync, args: [q, new Queue()], worker: true }).start(), (e: unknown) => e instanceof TypeError && /function/.test(e.message));
  assert.equal(await q.get(), fn);
});

test("shoal objects inside items arrive as working objects: a queue to reply on, a lock to take", async (t) => {
  const requests = new Queue<{ value: unknown; reply: Queue<unknown> } | null>();
  spawn(t, workers.answer, [requests]);
  const reply = new Queue<unknown>();
  await requests.put({ value: "ping", reply });
  assert.equal(await reply.get({ timeout: 10_000 }), "ping");
  const second = new Queue<unknown>(); // never seen by the worker before: it arrives inside the item
  await requests.put({ value: [1, 2n, new Map([["k", "v"]])], reply: second });
  assert.deepEqual(await second.get({ timeout: 10_000 }), [1, 2n, new Map([["k", "v"]])]);
  await requests.put(null);

  const handoff = new Queue<{ lock: Lock; held: Event; release: Event }>();
  spawn(t, workers.holdLock, [handoff]);
  const lock = new Lock();
  const held = new Event();
  const release = new Event();
  await handoff.put({ lock, held, release });
  assert.equal(await held.wait({ timeout: 10_000 }), true);
  assert.equal(lock.locked(), true); // the worker holds this very lock
  assert.equal(lock.tryAcquire(), false);
  release.set();
  assert.equal(await lock.acquire({ timeout: 10_000 }), true);
  lock.release();
});

test("a 16 MiB buffer crosses to a worker thread and back intact", async (t) => {
  const q = new Queue<Uint8Array | null>();
  const out = new Queue<Uint8Array | null>();
  spawn(t, workers.echoSync, [q, out]);
  const big = new Uint8Array(16 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) & 0xff;
  big[big.length - 1] = 0xab;
  await q.put(big);
  await q.put(new Uint8Array([1, 2, 3]));
  const back = (await out.get({ timeout: 30_000 }))!;
  assert.equal(back.length, big.length);
  assert.equal(Buffer.compare(Buffer.from(back.buffer, back.byteOffset, back.byteLength), Buffer.from(big.buffer)), 0);
  assert.deepEqual(await out.get({ timeout: 10_000 }), new Uint8Array([1, 2, 3]));
  await q.put(null);
});

test("LifoQueue, PriorityQueue and SimpleQueue keep their order across threads", async (t) => {
  const lifo = new LifoQueue<number | null>();
  const prio = new PriorityQueue<[number, string] | null>();
  const simple = new SimpleQueue<number | null>();
  for (const n of [1, 2, 3]) await lifo.put(n);
  for (const p of [[2, "b"], [1, "a"], [3, "c"], [1, "a2"]] as Array<[number, string]>) await prio.put(p);
  simple.put(7);
  const fromLifo = new Queue<unknown>();
  const fromPrio = new Queue<unknown>();
  const fromSimple = new Queue<unknown>();
  spawn(t, workers.echoSync, [lifo, fromLifo]);
  spawn(t, workers.echoSync, [prio, fromPrio]);
  spawn(t, workers.echoSync, [simple, fromSimple]);
  const take = async (q: Queue<unknown>, n: number): Promise<unknown[]> => {
    const items: unknown[] = [];
    for (let i = 0; i < n; i++) items.push(await q.get({ timeout: 10_000 }));
    return items;
  };
  assert.deepEqual(await take(fromLifo, 3), [3, 2, 1]);
  assert.deepEqual(await take(fromPrio, 4), [[1, "a"], [1, "a2"], [2, "b"], [3, "c"]]);
  assert.deepEqual(await take(fromSimple, 1), [7]);
  // the workers hold the queues now: later puts still reach them
  await lifo.put(null); // ends that echo
  await prio.put([5, "e"]);
  await prio.put([4, "d"]);
  const late = (await take(fromPrio, 2)) as Array<[number, string]>;
  assert.deepEqual(late.map(([n]) => n).sort(), [4, 5]);
  await prio.put(null);
  simple.put(null);
  assert.deepEqual(await take(fromLifo, 1), [null]);
  assert.deepEqual(await take(fromSimple, 1), [null]);
});

test("a PriorityQueue with a key function stays in its thread", () => {
  const q = new PriorityQueue<{ p: number }>(0, { key: (job) => job.p });
  assert.throws(() => new Thread({ target: workers.echoSync, args: [q, new Queue()], worker: true }).start(), /key function/);
});

test("a consumer thread that dies holding a get leaves the queue usable", async (t) => {
  const q = new Queue<number>();
  const waiting = new Event();
  const dead = spawn(t, workers.dieWaiting, [q, waiting]);
  assert.equal(await waiting.wait({ timeout: 10_000 }), true);
  await dead.join({ timeout: 10_000 });
  assert.equal(dead.isAlive(), false);
  const out = new Queue<number>();
  spawn(t, workers.consumeSync, [q, out]);
  for (let i = 0; i < 100; i++) await q.put(i);
  for (let i = 0; i < 100; i++) assert.equal(await out.get({ timeout: 10_000 }), i);
  assert.equal(await q.join({ timeout: 10_000 }), true);
  q.shutdown();
});

test("20,000 items between threads with timeouts firing: nothing lost or duplicated", async (t) => {
  const q = new Queue<number>(64);
  const per = 10_000;
  spawn(t, workers.produceWithTimeouts, [q, 0, per]);
  spawn(t, workers.produceWithTimeouts, [q, per, per]);
  const seen = new Uint8Array(2 * per);
  let got = 0;
  let timeouts = 0;
  while (got < 2 * per) {
    let item: number;
    try {
      item = await q.get({ timeout: got % 3 === 0 ? 0 : 1 });
    } catch (error) {
      if (!(error instanceof Empty)) throw error;
      timeouts++;
      continue;
    }
    assert.equal(seen[item], 0, `item ${item} got twice`);
    seen[item] = 1;
    got++;
  }
  assert.equal(seen.reduce((a, b) => a + b, 0), 2 * per);
  assert.ok(timeouts > 0);
  await assert.rejects(q.get({ timeout: 20 }), Empty);
});

test("a SimpleQueue that a worker thread sends back is the very object (as every other queue and primitive)", async () => {
  const back = new Queue<unknown>();
  const sent = { simple: new SimpleQueue<number>(), queue: new Queue<number>(), lock: new Lock() };
  const t = new Thread({ target: async (objects: Record<string, unknown>, reply: Queue<unknown>) => reply.put(objects), args: [sent, back], worker: true });
  t.start();
  await t.join();
  const got = (await back.get({ timeout: 30_000 })) as typeof sent;
  assert.equal(got.simple, sent.simple);
  assert.equal(got.queue, sent.queue);
  assert.equal(got.lock, sent.lock);
});

test("an item that cannot go to another thread is named as docs/queue.md says: Queue.put item.<path>", async () => {
  const q = new Queue<unknown>();
  const ready = new Queue<string>();
  // Sharing the queue with a worker thread makes its items cross threads.
  const t = new Thread({ target: async (q: Queue<unknown>, ready: Queue<string>) => { await ready.put("in"); await q.get(); }, args: [q, ready], worker: true });
  t.start();
  assert.equal(await ready.get(), "in");
  await assert.rejects(q.put({ handler: () => 1 }), /^TypeError: Queue.put item.handler: cannot send a function \(handler\)/);
  assert.throws(() => q.putNowait({ handler: () => 1 }), /^TypeError: Queue.putNowait item.handler: cannot send a function/);
  await q.put("done");
  await t.join();
});
