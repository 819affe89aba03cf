import { test } from "node:test";
import assert from "node:assert/strict";
import { Event, Lock, RLock, ThreadError, TIMEOUT_MAX } from "../../src/threading/index.js";

test("acquire and release; locked() tells", async () => {
  const lock = new Lock();
  assert.equal(lock.locked(), false);
  assert.equal(await lock.acquire(), true);
  assert.equal(lock.locked(), true);
  assert.equal(lock.tryAcquire(), false);
  lock.release();
  assert.equal(lock.locked(), false);
  assert.equal(lock.tryAcquire(), true);
  lock.release();
});

test("acquire resolves false at its timeout; non-blocking returns at once", async () => {
  const lock = new Lock();
  await lock.acquire();
  const started = performance.now();
  assert.equal(await lock.acquire({ timeout: 30 }), false);
  assert.ok(performance.now() - started >= 25);
  assert.equal(await lock.acquire({ blocking: false }), false);
  assert.equal(lock.acquireSync({ timeout: 10 }), false);
  lock.release();
  assert.equal(await lock.acquire({ blocking: false }), true);
  lock.release();
});

test("releasing an unlocked lock throws ThreadError", () => {
  const lock = new Lock();
  assert.throws(() => lock.release(), { name: "ThreadError", message: "Cannot release lock: lock is not acquired" });
  assert.ok(new ThreadError("x") instanceof Error);
});

test("bad options: negative timeout, timeout with blocking false, aborted signal", async () => {
  const lock = new Lock();
  await lock.acquire();
  await assert.rejects(lock.acquire({ timeout: -1 }), RangeError);
  await assert.rejects(lock.acquire({ blocking: false, timeout: 5 }), RangeError);
  // Past TIMEOUT_MAX Node's timer would fire at once: refused, as Python raises OverflowError.
  await assert.rejects(lock.acquire({ timeout: TIMEOUT_MAX + 1 }), { name: "RangeError", message: /Lock.acquire: timeout must be at most TIMEOUT_MAX/ });
  // Infinity waits for good, as leaving the timeout out does.
  const forever = lock.acquire({ timeout: Infinity });
  setImmediate(() => lock.release());
  assert.equal(await forever, true);
  const reason = new Error("stop");
  await assert.rejects(lock.acquire({ signal: AbortSignal.abort(reason) }), (e) => e === reason);
  const controller = new AbortController();
  const pending = lock.acquire({ signal: controller.signal });
  controller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
  lock.release();
  assert.equal(lock.locked(), false, "an aborted waiter must not take the lock");
});

test("100 concurrent async waiters: one at a time, FIFO, nobody lost", async () => {
  const lock = new Lock();
  let inside = 0;
  let most = 0;
  const order: number[] = [];
  await lock.acquire();
  const all = Array.from({ length: 100 }, async (_, i) => {
    await lock.acquire();
    inside++;
    most = Math.max(most, inside);
    order.push(i);
    await Promise.resolve();
    inside--;
    lock.release();
  });
  lock.release();
  await Promise.all(all);
  assert.equal(most, 1);
  assert.deepEqual(order, Array.from({ length: 100 }, (_, i) => i));
  assert.equal(lock.locked(), false);
});

test("enter() with using, and withLock, release however the block ends", async () => {
  const lock = new Lock();
  {
    using _held = await lock.enter();
    assert.equal(lock.locked(), true);
  }
  assert.equal(lock.locked(), false);
  await assert.rejects(lock.withLock(() => Promise.reject(new Error("inside"))), /inside/);
  assert.equal(lock.locked(), false);
  assert.equal(await lock.withLock(() => 42), 42);
});

test("bad acquire options are refused even when the lock is free or already owned", async () => {
  const lock = new Lock();
  await assert.rejects(lock.acquire({ timeout: -1 }), RangeError);
  assert.equal(lock.locked(), false, "a refused acquire must not take the lock");
  const rlock = new RLock();
  await rlock.acquire();
  await assert.rejects(rlock.acquire({ timeout: -5 }), RangeError);
  rlock.release();
  const event = new Event();
  event.set();
  await assert.rejects(event.wait({ timeout: -1 }), RangeError);
});
