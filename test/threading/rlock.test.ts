import { test } from "node:test";
import assert from "node:assert/strict";
import { Event, RLock, Thread } from "../../src/threading/index.js";

test("the owner may acquire again and must release as often", async () => {
  const rlock = new RLock();
  assert.equal(await rlock.acquire(), true);
  assert.equal(await rlock.acquire(), true);
  assert.equal(rlock.tryAcquire(), true);
  rlock.release();
  rlock.release();
  assert.equal(rlock.locked(), true);
  rlock.release();
  assert.equal(rlock.locked(), false);
  assert.throws(() => rlock.release(), { name: "ThreadError" });
});

test("two event-loop Threads never both hold it; a non-owner cannot release it", async () => {
  const rlock = new RLock();
  const held = new Event();
  const go = new Event();
  let otherGot: boolean | undefined;
  let releaseError: unknown;
  const owner = new Thread({
    target: async () => {
      await rlock.acquire();
      await rlock.acquire();
      held.set();
      await go.wait();
      rlock.release();
      rlock.release();
    },
  });
  const other = new Thread({
    target: async () => {
      await held.wait();
      try {
        rlock.release();
      } catch (error) {
        releaseError = error;
      }
      otherGot = await rlock.acquire({ timeout: 20 });
      go.set();
      assert.equal(await rlock.acquire({ timeout: 2000 }), true);
      rlock.release();
    },
  });
  owner.start();
  other.start();
  await owner.join();
  await other.join();
  assert.equal(otherGot, false);
  assert.equal((releaseError as Error)?.name, "ThreadError");
  assert.equal(rlock.locked(), false);
});

test("plain async code outside any Thread belongs to the main thread", async () => {
  const rlock = new RLock();
  await rlock.acquire();
  const inThread = new Thread({ target: () => rlock.acquire({ timeout: 10 }) });
  let got: unknown;
  const t = new Thread({ target: async () => (got = await rlock.acquire({ timeout: 10 })) });
  void inThread;
  t.start();
  await t.join();
  assert.equal(got, false);
  assert.equal(await rlock.acquire({ timeout: 10 }), true, "the main thread owns it already");
  rlock.release();
  rlock.release();
});
