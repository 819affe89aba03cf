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
