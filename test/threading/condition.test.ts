import { test } from "node:test";
import assert from "node:assert/strict";
import { Condition, Lock, RLock, Thread, sleep } from "../../src/threading/index.js";

test("wait and notify need the lock", async () => {
  const cond = new Condition();
  await assert.rejects(cond.wait(), { name: "ThreadError", message: "Cannot wait on un-acquired lock" });
  assert.throws(() => cond.notify(), { name: "ThreadError" });
  assert.throws(() => cond.notifyAll(), { name: "ThreadError" });
  assert.throws(() => new Condition({} as Lock), TypeError);
  await cond.acquire();
  assert.throws(() => cond.notify(-1), RangeError);
  await assert.rejects(cond.wait({ timeout: -5 }), RangeError);
  cond.release();
});

test("wait resolves false on timeout, holding the lock again", async () => {
  const cond = new Condition(new Lock());
  await cond.acquire();
  assert.equal(await cond.wait({ timeout: 20 }), false);
  assert.equal(cond.lock.locked(), true);
  cond.release();
});

test("notify(n) wakes exactly n waiters, oldest first; notifyAll wakes the rest", async () => {
  const cond = new Condition(new Lock());
  const woke: number[] = [];
  const waiters = Array.from({ length: 5 }, async (_, i) => {
    await cond.acquire();
    const notified = await cond.wait({ timeout: 5000 });
    woke.push(notified ? i : -1);
    cond.release();
  });
  await sleep(10);
  await cond.acquire();
  cond.notify(2);
  cond.release();
  await sleep(20);
  assert.deepEqual(woke, [0, 1]);
  await cond.acquire();
  cond.notifyAll();
  cond.release();
  await Promise.all(waiters);
  assert.deepEqual(woke, [0, 1, 2, 3, 4]);
});

test("a waiter that timed out does not swallow a later notify", async () => {
  const cond = new Condition(new Lock());
  await cond.acquire();
  const early = cond.wait({ timeout: 10 });
  const late = (async () => {
    await cond.acquire();
    const r = await cond.wait({ timeout: 5000 });
    cond.release();
    return r;
  })();
  assert.equal(await early, false);
  cond.release();
  await sleep(5);
  await cond.acquire();
  cond.notify(1);
  cond.release();
  assert.equal(await late, true);
});

test("an aborted wait takes the lock back, then rejects with the reason", async () => {
  const cond = new Condition(new RLock());
  await cond.acquire();
  await cond.acquire();
  const controller = new AbortController();
  const pending = cond.wait({ signal: controller.signal });
  assert.equal(cond.lock.locked(), false, "wait releases every level of an RLock");
  controller.abort(new Error("enough"));
  await assert.rejects(pending, /enough/);
  cond.release();
  cond.release();
  assert.equal(cond.lock.locked(), false);
});

test("waitFor returns the predicate's value, computing the deadline once", async () => {
  const cond = new Condition();
  let items = 0;
  const producer = new Thread({
    target: async () => {
      for (let i = 0; i < 3; i++) {
        await sleep(5);
        await cond.acquire();
        items++;
        cond.notifyAll();
        cond.release();
      }
    },
  });
  await cond.acquire();
  producer.start();
  assert.equal(await cond.waitFor(() => items >= 3 && items), 3);
  assert.equal(await cond.waitFor(() => items >= 10, { timeout: 20 }), false);
  cond.release();
  await producer.join();
});

test("several async waiters of one thread woken together each take the lock back (also with worker threads notifying)", async () => {
  // In a child process: a thread blocked on a lock its own thread holds would hang this runner.
  const { execFile } = await import("node:child_process");
  const script = new URL("./fixtures/wake-together.js", import.meta.url);
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, [script.pathname], { timeout: 30_000 }, (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out))),
  );
  assert.equal(stdout.trim(), "ok");
});

test("more than 8192 async waiters at once: Event, Semaphore, Barrier, Queue and Condition serve them all", async () => {
  const N = 9000;
  const { Event, Semaphore, Barrier } = await import("../../src/threading/index.js");
  const { Queue } = await import("../../src/queue/index.js");

  const event = new Event();
  const waits = Array.from({ length: N }, () => event.wait({ timeout: 30_000 }));
  event.set();
  assert.deepEqual(new Set(await Promise.all(waits)), new Set([true]));

  const sem = new Semaphore(0);
  const acquired = Array.from({ length: N }, () => sem.acquire({ timeout: 30_000 }));
  for (let i = 0; i < N; i++) sem.release();
  assert.deepEqual(new Set(await Promise.all(acquired)), new Set([true]));

  const barrier = new Barrier(N);
  const indices = await Promise.all(Array.from({ length: N }, () => barrier.wait({ timeout: 30_000 })));
  assert.equal(new Set(indices).size, N);

  const q = new Queue<number>();
  const gets = Array.from({ length: N }, () => q.get({ timeout: 30_000 }));
  for (let i = 0; i < N; i++) q.putNowait(i);
  assert.deepEqual((await Promise.all(gets)).sort((a, b) => a - b), Array.from({ length: N }, (_, i) => i));

  // Waiters past the tickets share one with the thread's newest; one that gives up leaves the
  // others waiting, and notifyAll wakes everyone still there.
  const cond = new Condition(new Lock());
  await cond.acquire();
  const controllers = Array.from({ length: N }, () => new AbortController());
  const waiting = controllers.map(async (controller) => {
    await cond.acquire();
    try {
      return await cond.wait({ signal: controller.signal });
    } catch {
      return "aborted";
    } finally {
      cond.release();
    }
  });
  cond.release();
  // The lock is fair: once it comes back here, every waiter has taken it and is waiting.
  await cond.acquire();
  cond.release();
  for (const i of [N - 1, N - 2, 100]) controllers[i]!.abort();
  await cond.acquire();
  cond.notifyAll();
  cond.release();
  const outcomes = await Promise.all(waiting);
  assert.equal(outcomes.filter((o) => o === "aborted").length, 3);
  assert.equal(outcomes.filter((o) => o === true).length, N - 3);
});
