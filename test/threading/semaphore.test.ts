import { test } from "node:test";
import assert from "node:assert/strict";
import { BoundedSemaphore, Semaphore, sleep } from "../../src/threading/index.js";

test("bad values are RangeErrors", async () => {
  assert.throws(() => new Semaphore(-1), RangeError);
  assert.throws(() => new BoundedSemaphore(1.5), RangeError);
  const sem = new Semaphore(1);
  assert.throws(() => sem.release(0), RangeError);
  await assert.rejects(sem.acquire({ timeout: -1 }), RangeError);
});

test("never more than the value inside; release(n) lets n in", async () => {
  const sem = new Semaphore(5);
  let inside = 0;
  let most = 0;
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      await sem.acquire();
      inside++;
      most = Math.max(most, inside);
      await sleep(2);
      inside--;
      sem.release();
    }),
  );
  assert.equal(most, 5);
  assert.equal(sem.value, 5);
  const zero = new Semaphore(0);
  const got = Promise.all([zero.acquire(), zero.acquire()]);
  zero.release(2);
  assert.deepEqual(await got, [true, true]);
});

test("acquire resolves false at its timeout; tryAcquire does not wait", async () => {
  const sem = new Semaphore(0);
  assert.equal(sem.tryAcquire(), false);
  assert.equal(await sem.acquire({ timeout: 15 }), false);
  assert.equal(await sem.acquire({ blocking: false }), false);
  assert.equal(sem.acquireSync({ timeout: 5 }), false);
  const reason = new Error("cancelled");
  await assert.rejects(sem.acquire({ signal: AbortSignal.abort(reason) }), (e) => e === reason);
});

test("a BoundedSemaphore released too often throws Python's message", async () => {
  const sem = new BoundedSemaphore(2);
  await sem.acquire();
  sem.release();
  assert.throws(() => sem.release(), { name: "RangeError", message: "Semaphore released too many times" });
  assert.equal(sem.value, 2);
  {
    using _permit = await sem.enter();
    assert.equal(sem.value, 1);
  }
  assert.equal(sem.value, 2);
});
