/**
 * SyncManager's shared types, used from this process, from child processes and from a worker
 * thread; nested proxies; errors crossing back as their own classes.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Manager, Process, RemoteError, Empty, Full, ThreadError, BrokenBarrierError, type SyncManager, type DictProxy, type ListProxy } from "../../src/multiprocessing/index.js";
import { Thread } from "../../src/threading/index.js";
import { touchNested } from "./manager-fixtures.js";

let manager: SyncManager;

before(async () => {
  manager = await Manager.start();
});

after(async () => {
  await manager.shutdown();
});

describe("dict", () => {
  test("has Python's dict methods, with keys of any primitive type", async () => {
    const d = await manager.dict<number | string, unknown>({ a: 1 });
    await d.set(1, "1");
    await d.set("2", 2);
    await d.set(0.25, null);
    assert.equal(await d.get(1), "1");
    assert.equal(await d.get("1"), undefined, "1 and '1' are different keys, as in Python");
    assert.equal(await d.get("missing", "fallback"), "fallback");
    assert.equal(await d.has(0.25), true);
    assert.equal(await d.len(), 4);
    assert.deepEqual(await d.keys(), ["a", 1, "2", 0.25]);
    assert.deepEqual(await d.values(), [1, "1", 2, null]);
    await d.update(new Map([["b", 3]]));
    assert.deepEqual((await d.items()).at(-1), ["b", 3]);
    assert.equal(await d.pop("b"), 3);
    assert.equal(await d.pop("b", "gone"), "gone");
    await assert.rejects(d.pop("b"), RangeError);
    assert.equal(await d.delete("a"), true);
    assert.equal(await d.setdefault("c", 5), 5);
    assert.deepEqual(await d.copy(), new Map<unknown, unknown>([[1, "1"], ["2", 2], [0.25, null], ["c", 5]]));
    assert.deepEqual(await d.getValue(), await d.copy());
    await d.clear();
    assert.equal(await d.len(), 0);
  });

  test("refuses object keys (a copy would never match) with a TypeError", async () => {
    const d = await manager.dict();
    await assert.rejects(d.set({ k: 1 } as never, 1), (error: Error) => error instanceof TypeError && /key must be/.test(error.message));
  });
});

describe("list", () => {
  test("has Python's list methods", async () => {
    const l = await manager.list([0, 1, 2, 3, 4]);
    await l.append(5);
    await l.extend([6, 7]);
    await l.insert(0, -1);
    assert.equal(await l.len(), 9);
    assert.equal(await l.get(-1), 7);
    assert.equal(await l.pop(), 7);
    assert.equal(await l.pop(0), -1);
    await l.set(0, 10);
    await l.remove(3);
    assert.equal(await l.index(4), 3);
    assert.equal(await l.count(10), 1);
    assert.deepEqual(await l.toArray(), [10, 1, 2, 4, 5, 6]);
    assert.deepEqual(await l.slice(1, 3), [1, 2]);
    await assert.rejects(l.get(100), RangeError);
    await assert.rejects(l.remove(99), RangeError);
    await l.sort();
    assert.deepEqual(await l.getValue(), [1, 2, 4, 5, 6, 10]);
  });

  test("compares objects by value (remove, index, count)", async () => {
    const l = await manager.list<{ x: number }>([{ x: 1 }, { x: 2 }]);
    assert.equal(await l.index({ x: 2 }), 1);
    await l.remove({ x: 1 });
    assert.deepEqual(await l.toArray(), [{ x: 2 }]);
  });
});

test("set (Python 3.14): add, discard, remove, has, len, values", async () => {
  const s = await manager.set<string | number>(["a", 1]);
  await s.add("b");
  await s.add("a");
  assert.equal(await s.len(), 3);
  assert.equal(await s.has(1), true);
  assert.equal(await s.discard(1), true);
  assert.equal(await s.discard(1), false);
  await assert.rejects(s.remove("zz"), RangeError);
  assert.deepEqual((await s.values()).sort(), ["a", "b"]);
  assert.deepEqual(await s.getValue(), new Set(["a", "b"]));
});

test("Namespace, Value and Array", async () => {
  const ns = await manager.Namespace<{ x: number; y: string }>({ x: 1 });
  await ns.set("y", "why");
  assert.equal(await ns.get("x"), 1);
  assert.equal(await ns.get("y"), "why");
  assert.deepEqual(await ns.toObject(), { x: 1, y: "why" });
  await ns.set("__proto__" as never, "not a prototype" as never);
  assert.equal(await ns.get("__proto__" as never), "not a prototype");

  const v = await manager.Value("i", 7);
  await v.set(8);
  assert.equal(await v.get(), 8);

  const a = await manager.Array<number>("d", [1.5, 2.5]);
  await a.set(0, 3.5);
  assert.deepEqual(await a.toArray(), [3.5, 2.5]);
  assert.equal(await a.len(), 2);
  await assert.rejects(a.set(0, "x" as never), TypeError);
  const big = await manager.Array<bigint>("q", 2);
  await big.set(1, 5n);
  assert.deepEqual(await big.toArray(), [0n, 5n]);
});

test("the lesson: 10 processes set three keys of a dict and append to a list", async () => {
  const d = await manager.dict<number | string, unknown>();
  const l = await manager.list([0, 1, 2, 3, 4]);
  const processes = Array.from({ length: 10 }, () => new Process({ target: lessonF, args: [d, l] }));
  for (const p of processes) p.start();
  for (const p of processes) await p.join();
  assert.deepEqual(processes.map((p) => p.exitcode), Array(10).fill(0));
  assert.deepEqual(await d.copy(), new Map<unknown, unknown>([[1, "1"], ["2", 2], [0.25, null]]));
  assert.deepEqual(await l.toArray(), [0, 1, 2, 3, 4, ...Array(10).fill(1)]);
});

export async function lessonF(d: DictProxy<number | string, unknown>, l: ListProxy<number>): Promise<void> {
  await d.set(1, "1");
  await d.set("2", 2);
  await d.set(0.25, null);
  await l.append(1);
}

test("nested proxies: a list stored in a dict works in the processes that fetch it", async () => {
  const d = await manager.dict<string, unknown>();
  const inner = await manager.list<string>();
  await d.set("inner", inner);
  const p1 = new Process({ target: touchNested, args: [d, "a"] });
  const p2 = new Process({ target: touchNested, args: [d, "b"] });
  p1.start();
  p2.start();
  await Promise.all([p1.join(), p2.join()]);
  assert.equal(p1.exitcode, 0);
  assert.equal(p2.exitcode, 0);
  const fetched = (await d.get("inner")) as ListProxy<string>;
  assert.deepEqual((await fetched.toArray()).sort(), ["a", "b"]);
  assert.deepEqual((await inner.toArray()).sort(), ["a", "b"], "the same list, reached through either proxy");
  assert.equal(typeof (await d.get("a")), "string");
});

test("a proxy passed to a worker thread works there", async () => {
  const q = await manager.Queue<string>();
  const thread = new Thread({
    worker: true,
    target: async (queue: { put(item: string): Promise<void> }) => {
      await queue.put("from a worker thread");
    },
    args: [q],
  });
  thread.start();
  assert.equal(await q.get({ timeout: 10_000 }), "from a worker thread");
  await thread.join();
});

describe("Queue", () => {
  test("put/get, nowait variants rejecting Empty and Full, qsize, taskDone/join", async () => {
    const q = await manager.JoinableQueue<number>(2);
    await q.put(1);
    await q.putNowait(2);
    assert.equal(await q.full(), true);
    await assert.rejects(q.putNowait(3), Full);
    await assert.rejects(q.put(3, { timeout: 20 }), Full);
    assert.equal(await q.qsize(), 2);
    assert.equal(await q.get(), 1);
    assert.equal(await q.getNowait(), 2);
    await assert.rejects(q.getNowait(), Empty);
    await assert.rejects(q.get({ timeout: 20 }), (error: Error) => error instanceof Empty && error.cause instanceof RemoteError);
    await q.taskDone();
    const joined = q.join();
    await q.taskDone();
    await joined;
    await assert.rejects(q.taskDone(), RangeError);
  });

  test("aborting a waiting get abandons it on the server: a later item is not lost", async () => {
    const q = await manager.Queue<string>();
    const controller = new AbortController();
    const waiting = q.get({ signal: controller.signal });
    controller.abort(new Error("stop waiting"));
    await assert.rejects(waiting, /stop waiting/);
    await q.put("kept");
    assert.equal(await q.get({ timeout: 5000 }), "kept");
  });

  test("a producer process and a consumer (this process)", async () => {
    const q = await manager.Queue<number | null>();
    const { produceInto } = await import("./manager-fixtures.js");
    const p = new Process({ target: produceInto, args: [q, 100] });
    p.start();
    const got: number[] = [];
    for (;;) {
      const item = await q.get({ timeout: 20_000 });
      if (item === null) break;
      got.push(item);
    }
    await p.join();
    assert.deepEqual(got, Array.from({ length: 100 }, (_, i) => i));
  });
});

describe("synchronization primitives", () => {
  test("Lock: acquire resolves false at its timeout; release of a free lock rejects ThreadError", async () => {
    const lock = await manager.Lock();
    assert.equal(await lock.acquire(), true);
    assert.equal(await lock.locked(), true);
    assert.equal(await lock.acquire({ timeout: 30 }), false);
    assert.equal(await lock.acquire({ blocking: false }), false);
    await lock.release();
    await assert.rejects(lock.release(), ThreadError);
    assert.equal(await lock.withLock(async () => "inside"), "inside");
    assert.equal(await lock.locked(), false);
  });

  test("RLock is re-entrant for its owner thread and refuses others", async () => {
    const rlock = await manager.RLock();
    assert.equal(await rlock.acquire(), true);
    assert.equal(await rlock.acquire(), true);
    let otherGot: boolean | undefined;
    const other = new Thread({ target: async () => void (otherGot = await rlock.acquire({ timeout: 30 })) });
    other.start();
    await other.join();
    assert.equal(otherGot, false, "another thread cannot take it");
    await rlock.release();
    await rlock.release();
    await assert.rejects(rlock.release(), ThreadError);
  });

  test("Semaphore and BoundedSemaphore", async () => {
    const sem = await manager.Semaphore(2);
    assert.equal(await sem.acquire(), true);
    assert.equal(await sem.acquire(), true);
    assert.equal(await sem.acquire({ timeout: 20 }), false);
    await sem.release(2);
    const bounded = await manager.BoundedSemaphore(1);
    await assert.rejects(bounded.release(), RangeError);
  });

  test("Condition: wait releases the lock until notified; waitFor checks a local predicate", async () => {
    const cond = await manager.Condition();
    const ns = await manager.Namespace<{ ready: boolean }>({ ready: false });
    await cond.acquire();
    const notifier = new Thread({
      target: async () => {
        await cond.withLock(async () => {
          await ns.set("ready", true);
          await cond.notifyAll();
        });
      },
    });
    notifier.start();
    assert.equal(await cond.waitFor(() => ns.get("ready"), { timeout: 10_000 }), true);
    assert.equal(await cond.wait({ timeout: 20 }), false);
    await cond.release();
    await notifier.join();
    await assert.rejects(cond.notify(), ThreadError);
  });

  test("Condition over a Lock of the same manager", async () => {
    const lock = await manager.Lock();
    const cond = await manager.Condition(lock);
    await cond.acquire();
    assert.equal(await lock.locked(), true, "the condition's lock is the given one");
    await cond.release();
  });

  test("Event and Barrier", async () => {
    const event = await manager.Event();
    assert.equal(await event.wait({ timeout: 20 }), false);
    const waiting = event.wait();
    await event.set();
    assert.equal(await waiting, true);
    assert.equal(await event.isSet(), true);

    const barrier = await manager.Barrier(3);
    const indices = await Promise.all([barrier.wait(), barrier.wait(), barrier.wait()]);
    assert.deepEqual([...indices].sort(), [0, 1, 2]);
    await assert.rejects(barrier.wait({ timeout: 30 }), BrokenBarrierError);
    assert.equal(await barrier.broken(), true);
    await barrier.reset();
    assert.equal(await barrier.broken(), false);
    assert.equal(await barrier.parties(), 3);
  });
});

test("Pool: tasks run in the server's process pool", async () => {
  const pool = await manager.Pool({ processes: 2 });
  const { square, add, fail } = await import("./pool-fixtures.js");
  assert.deepEqual(await pool.map(square, [1, 2, 3]), [1, 4, 9]);
  assert.equal(await pool.apply(square, [7]), 49);
  // The asynchronous forms, as Python's managed pool has them.
  const seen: number[] = [];
  const one = pool.applyAsync(square, [8], { callback: (v) => seen.push(v) });
  assert.equal(one.ready(), false);
  assert.throws(() => one.successful(), RangeError);
  assert.equal(await one.get({ timeout: 30_000 }), 64);
  assert.equal(one.successful(), true);
  assert.deepEqual(seen, [64]);
  assert.deepEqual(await pool.mapAsync(square, [2, 3]).get(), [4, 9]);
  assert.deepEqual(await pool.starmapAsync(add, [[1, 2], [3, 4]]), [3, 7]);
  const ordered: number[] = [];
  for await (const v of pool.imap(square, [1, 2, 3, 4])) ordered.push(v);
  assert.deepEqual(ordered, [1, 4, 9, 16]);
  const unordered: number[] = [];
  for await (const v of pool.imapUnordered(square, [5, 6])) unordered.push(v);
  assert.deepEqual(unordered.sort((a, b) => a - b), [25, 36]);
  const failed = pool.applyAsync(fail, ["no"]);
  await assert.rejects(failed.get(), /no/);
  assert.equal(failed.successful(), false);
  await pool.terminate();
});

test("callMethod reaches exposed methods only", async () => {
  const d = await manager.dict<string, number>({ a: 1 });
  assert.equal(await d.callMethod("get", ["a"]), 1);
  await assert.rejects(d.callMethod("constructor"), TypeError);
  await assert.rejects(d.callMethod("notAMethod"), /not exposed/);
});

test("a posted call that fails after all rejects the next call on that object", async () => {
  const { makeProxy, proxyLocation } = await import("../../src/multiprocessing/managers/base-proxy.js");
  const d = await manager.dict<string, number>();
  const ghost = makeProxy({ ...proxyLocation(d), id: 987_654 }) as DictProxy<string, number>;
  await ghost.set("k", 1); // on its way: resolves without waiting for the server
  await assert.rejects(ghost.get("k"), (error: Error) => error instanceof ReferenceError && /no shared object/.test(error.message));
  assert.equal(await d.len(), 0);
});
