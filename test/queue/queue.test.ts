import { test } from "node:test";
import assert from "node:assert/strict";
import { Empty, Full, Queue, ShutDown } from "../../src/queue/index.js";

test("FIFO order, and get returns the very object put (functions and class instances too)", async () => {
  class Job {
    constructor(readonly id: number) {}
  }
  const q = new Queue<unknown>();
  const job = new Job(1);
  const fn = (): number => 42;
  const obj = { nested: [1, 2] };
  await q.put(job);
  await q.put(fn);
  await q.put(obj);
  assert.equal(q.qsize(), 3);
  assert.equal(await q.get(), job);
  assert.equal(await q.get(), fn);
  assert.equal(q.getNowait(), obj);
  assert.equal(q.empty(), true);
});

test("getNowait on an empty queue throws Empty; putNowait on a full one throws Full", () => {
  const q = new Queue<number>(2);
  assert.throws(() => q.getNowait(), (e: unknown) => e instanceof Empty && e.message === "Cannot get an item: the queue is empty");
  q.putNowait(1);
  q.putNowait(2);
  assert.equal(q.full(), true);
  assert.throws(() => q.putNowait(3), (e: unknown) => e instanceof Full && e.maxsize === 2 && /maxsize 2/.test(e.message));
  assert.equal(q.qsize(), 2);
});

test("block: false rejects at once; the timeout is ignored as in Python", async () => {
  const q = new Queue<number>(1);
  await assert.rejects(q.get({ block: false, timeout: 10_000 }), Empty);
  await q.put(1);
  await assert.rejects(q.put(2, { block: false }), Full);
});

test("get waits for a put, and rejects with Empty when its timeout passes", async () => {
  const q = new Queue<string>();
  const pending = q.get();
  setTimeout(() => void q.put("late"), 5);
  assert.equal(await pending, "late");
  const started = performance.now();
  await assert.rejects(q.get({ timeout: 30 }), (e: unknown) => e instanceof Empty && e.timeout === 30);
  assert.ok(performance.now() - started >= 25);
});

test("maxsize blocks put until a get frees a slot; a put times out with Full", async () => {
  const q = new Queue<number>(1);
  await q.put(1);
  let second = false;
  const putting = q.put(2).then(() => (second = true));
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(second, false);
  assert.equal(await q.get(), 1);
  await putting;
  assert.equal(second, true);
  await assert.rejects(q.put(3, { timeout: 20 }), (e: unknown) => e instanceof Full && e.timeout === 20);
  assert.equal(q.qsize(), 1);
});

test("an aborted signal rejects with its reason and leaves no waiter behind", async () => {
  const q = new Queue<number>();
  const controller = new AbortController();
  const pending = q.get({ signal: controller.signal });
  controller.abort(new Error("stop"));
  await assert.rejects(pending, /stop/);
  await assert.rejects(q.get({ signal: AbortSignal.abort(new Error("already")) }), /already/);
  // the next put goes to the next get, not to the aborted one
  const next = q.get();
  await q.put(7);
  assert.equal(await next, 7);
  assert.equal(q.qsize(), 0);
});

test("waiting gets are served in order", async () => {
  const q = new Queue<number>();
  const got: Array<[number, number]> = [];
  const getters = [0, 1, 2].map((n) => q.get().then((item) => got.push([n, item])));
  for (const item of [10, 11, 12]) await q.put(item);
  await Promise.all(getters);
  assert.deepEqual(got, [
    [0, 10],
    [1, 11],
    [2, 12],
  ]);
});

test("taskDone and join: join returns only after the last taskDone", async () => {
  const q = new Queue<number>();
  for (let i = 0; i < 3; i++) await q.put(i);
  assert.equal(q.unfinishedTasks, 3);
  let joined = false;
  const joining = q.join().then((done) => {
    joined = done;
  });
  for (let i = 0; i < 3; i++) {
    await q.get();
    await new Promise((resolve) => setTimeout(resolve, 2));
    assert.equal(joined, false);
    q.taskDone();
  }
  await joining;
  assert.equal(joined, true);
  assert.equal(await q.join(), true); // nothing unfinished: at once
});

test("taskDone called too often throws Python's ValueError message as a RangeError", () => {
  const q = new Queue<number>();
  assert.throws(() => q.taskDone(), { name: "RangeError", message: "task_done() called too many times" });
  q.putNowait(1);
  q.getNowait();
  q.taskDone();
  assert.throws(() => q.taskDone(), RangeError);
});

test("join resolves false when its timeout passes first", async () => {
  const q = new Queue<number>();
  await q.put(1);
  assert.equal(await q.join({ timeout: 10 }), false);
});

test("shutdown: puts fail, gets drain then fail, waiting gets wake with ShutDown", async () => {
  const q = new Queue<number>();
  const waiting = q.get();
  await q.put(1); // taken by the waiting get
  assert.equal(await waiting, 1);
  const waiting2 = q.get();
  await q.put(2);
  await q.put(3);
  assert.equal(await waiting2, 2);
  q.shutdown();
  assert.equal(q.isShutdown, true);
  await assert.rejects(q.put(4), ShutDown);
  assert.throws(() => q.putNowait(4), ShutDown);
  assert.equal(await q.get(), 3);
  await assert.rejects(q.get(), ShutDown);
  assert.throws(() => q.getNowait(), ShutDown);
  const blocked = new Queue<number>();
  const getters = [blocked.get(), blocked.get({ timeout: 60_000 })];
  blocked.shutdown();
  for (const g of getters) await assert.rejects(g, ShutDown);
});

test("shutdown wakes a put waiting on a full queue", async () => {
  const q = new Queue<number>(1);
  await q.put(1);
  const putting = q.put(2);
  q.shutdown();
  await assert.rejects(putting, ShutDown);
});

test("shutdown({ immediate }) drops the items, releases join and fails gets at once", async () => {
  const q = new Queue<number>();
  for (let i = 0; i < 5; i++) await q.put(i);
  const joining = q.join();
  q.shutdown({ immediate: true });
  assert.equal(await joining, true);
  assert.equal(q.qsize(), 0);
  await assert.rejects(q.get(), ShutDown);
});

test("for await reads until shutdown", async () => {
  const q = new Queue<number>();
  const seen: number[] = [];
  const reading = (async () => {
    for await (const item of q) seen.push(item);
  })();
  for (let i = 0; i < 5; i++) await q.put(i);
  await new Promise((resolve) => setTimeout(resolve, 5));
  q.shutdown();
  await reading;
  assert.deepEqual(seen, [0, 1, 2, 3, 4]);
});

test("await using shuts the queue down at the end of the block", async () => {
  let kept: Queue<number> | undefined;
  {
    await using q = new Queue<number>();
    kept = q;
    await q.put(1);
  }
  assert.equal(kept.isShutdown, true);
});

test("bad arguments are refused with what was wrong", async () => {
  assert.throws(() => new Queue("3" as unknown as number), TypeError);
  assert.throws(() => new Queue(2.5), RangeError);
  assert.equal(new Queue(-1).maxsize, 0);
  const q = new Queue<number>();
  await assert.rejects(q.get({ timeout: -1 }), { name: "RangeError", message: /Queue.get: timeout must not be negative/ });
  await assert.rejects(q.put(1, { timeout: Number.NaN }), TypeError);
});

test("100,000 puts and gets with timeouts and aborts firing: nothing lost or duplicated", async () => {
  const q = new Queue<number>(50);
  const total = 100_000;
  const seen = new Uint8Array(total);
  let timeouts = 0;
  let next = 0;
  const producer = async (): Promise<void> => {
    while (next < total) {
      const item = next;
      if (item % 5000 === 4999) await new Promise((resolve) => setTimeout(resolve, 5)); // let the consumers' waits run out
      try {
        await q.put(item, { timeout: item % 97 === 0 ? 0 : 5 });
        next++;
      } catch (error) {
        if (!(error instanceof Full)) throw error;
        timeouts++;
      }
    }
  };
  let aborts = 0;
  let gets = 0;
  const consumer = async (): Promise<void> => {
    for (;;) {
      let item: number;
      try {
        item = await q.get(++gets % 5 === 0 ? { signal: AbortSignal.timeout(1) } : { timeout: 1 });
      } catch (error) {
        if (error instanceof ShutDown) return;
        if ((error as Error).name === "TimeoutError") {
          aborts++;
          continue;
        }
        if (!(error instanceof Empty)) throw error;
        timeouts++;
        continue;
      }
      assert.equal(seen[item], 0, `item ${item} got twice`);
      seen[item] = 1;
      q.taskDone();
    }
  };
  const consumers = [consumer(), consumer(), consumer()];
  await producer();
  await q.join();
  q.shutdown();
  await Promise.all(consumers);
  assert.equal(seen.reduce((a, b) => a + b, 0), total);
  assert.ok(timeouts > 0, "some waits timed out");
  assert.ok(aborts > 0, "some waits were aborted");
});
