/**
 * Waits take an options object: a bare number (Python's positional timeout, ported as is) is
 * refused with a TypeError naming the call, never ignored (the wait would have no limit).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Barrier, Condition, Event, Thread, sleep } from "../../src/threading/index.js";

const POSITIONAL = /options must be an object, not a number \(a timeout goes in \{ timeout \}, in milliseconds\): got number 50/;

test("a positional number is refused by every wait of shoal/threading, naming the call", async () => {
  const event = new Event();
  await assert.rejects(event.wait(50 as never), (error: Error) => error instanceof TypeError && /^Event.wait: /.test(error.message) && POSITIONAL.test(error.message));
  assert.throws(() => event.waitSync(50 as never), /^TypeError: Event.waitSync: options must be an object/);
  event.set();
  assert.throws(() => event.waitSync(50 as never), /Event.waitSync: options must be an object/, "refused when set too");

  const cond = new Condition();
  await cond.acquire();
  await assert.rejects(cond.wait(50 as never), /Condition.wait: options must be an object, not a number/);
  await assert.rejects(cond.waitFor(() => false, 50 as never), /Condition.waitFor: options must be an object, not a number/);
  assert.throws(() => cond.waitSync(50 as never), /Condition.waitSync: options must be an object/);
  cond.release();

  await assert.rejects(new Barrier(2).wait(50 as never), /Barrier.wait: options must be an object, not a number/);
  assert.throws(() => new Barrier(2, 50 as never), /Barrier: options must be an object/);

  const thread = new Thread({ target: () => sleep(10) });
  thread.start();
  await assert.rejects(thread.join(50 as never), /Thread.join: options must be an object, not a number/);
  await thread.join();

  await assert.rejects(sleep(1, 50 as never), /sleep: options must be an object, not a number/);
});

test("bad arguments are refused the same way by every form of a call: TypeError for a wrong type, RangeError for a wrong value", async () => {
  const { Lock, RLock, Semaphore, Timer, TIMEOUT_MAX } = await import("../../src/threading/index.js");
  const lock = new Lock();
  // acquireSync checks its options as acquire does, even when the lock is free (and leaves it free).
  assert.throws(() => lock.acquireSync({ timeout: -1 }), /^RangeError: Lock.acquireSync: timeout must not be negative: got -1$/);
  assert.throws(() => lock.acquireSync({ blocking: false, timeout: 5 }), /^RangeError: Lock.acquireSync: cannot specify a timeout for a non-blocking call$/);
  assert.equal(lock.locked(), false);
  const rlock = new RLock();
  assert.equal(rlock.acquireSync(), true);
  assert.throws(() => rlock.acquireSync({ timeout: -1 }), /^RangeError: RLock.acquireSync: timeout must not be negative/, "also when re-entering");
  rlock.release();

  assert.throws(() => new Semaphore("2" as never), /^TypeError: Semaphore: initial value must be a number: got "2"$/);
  assert.throws(() => new Semaphore(-1), /^RangeError: Semaphore: initial value must be an integer >= 0: got -1$/);
  const cond = new Condition();
  await cond.acquire();
  assert.throws(() => cond.notify("x" as never), /^TypeError: Condition.notify: n must be a number: got "x"$/);
  cond.release();

  assert.throws(() => new Timer(TIMEOUT_MAX + 1, () => undefined), /^RangeError: Timer: interval must be at most TIMEOUT_MAX/);
  assert.throws(() => new Timer(10, () => undefined, 5 as never), /^TypeError: Timer: args must be an array: got number 5$/);

  await assert.rejects(lock.withLock(5 as never), /^TypeError: Lock.withLock: fn must be a function: got number 5$/);
  await assert.rejects(new Semaphore(1).withLock(5 as never), /^TypeError: Semaphore.withLock: fn must be a function: got number 5$/);
  assert.throws(() => lock.withLockSync(5 as never), /^TypeError: Lock.withLockSync: fn must be a function: got number 5$/);
  assert.equal(lock.locked(), false, "nothing was acquired");
});
