import { test } from "node:test";
import assert from "node:assert/strict";
import { Barrier, BrokenBarrierError, ThreadError, sleep } from "../../src/threading/index.js";

test("parties arrive, each gets a distinct index, the action runs once", async () => {
  let actions = 0;
  const barrier = new Barrier(3, { action: () => actions++ });
  assert.equal(barrier.parties, 3);
  const first = [barrier.wait(), barrier.wait()];
  await sleep(5);
  assert.equal(barrier.nWaiting, 2);
  const indices = await Promise.all([...first, barrier.wait()]);
  assert.deepEqual([...indices].sort(), [0, 1, 2]);
  assert.equal(actions, 1);
  // It can be used again.
  assert.deepEqual((await Promise.all([barrier.wait(), barrier.wait(), barrier.wait()])).sort(), [0, 1, 2]);
});

test("bad parties; a timeout breaks it; reset and abort", async () => {
  assert.throws(() => new Barrier(0), RangeError);
  assert.ok(new BrokenBarrierError() instanceof ThreadError);
  const barrier = new Barrier(2);
  await assert.rejects(barrier.wait({ timeout: 10 }), BrokenBarrierError);
  assert.equal(barrier.broken, true);
  await assert.rejects(barrier.wait(), BrokenBarrierError);
  barrier.reset();
  assert.equal(barrier.broken, false);
  const waiting = barrier.wait();
  await sleep(5);
  barrier.reset();
  await assert.rejects(waiting, BrokenBarrierError);
  const again = barrier.wait();
  await sleep(5);
  barrier.abort();
  await assert.rejects(again, BrokenBarrierError);
  assert.equal(barrier.broken, true);
});

test("a failing action breaks the barrier for everyone", async () => {
  const barrier = new Barrier(2, {
    action: () => {
      throw new Error("action failed");
    },
  });
  const results = await Promise.allSettled([barrier.wait(), barrier.wait()]);
  assert.equal(results.filter((r) => r.status === "rejected").length, 2);
  assert.equal(barrier.broken, true);
});
