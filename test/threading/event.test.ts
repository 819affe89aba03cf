import { test } from "node:test";
import assert from "node:assert/strict";
import { Event, sleep } from "../../src/threading/index.js";

test("set, clear, isSet; wait resolves the flag", async () => {
  const event = new Event();
  assert.equal(event.isSet(), false);
  assert.equal(await event.wait({ timeout: 10 }), false);
  const waiting = Promise.all([event.wait(), event.wait(), event.wait({ timeout: 5000 })]);
  await sleep(5);
  event.set();
  assert.deepEqual(await waiting, [true, true, true]);
  assert.equal(await event.wait(), true);
  assert.equal(event.waitSync(), true);
  event.clear();
  assert.equal(event.isSet(), false);
  assert.equal(event.waitSync({ timeout: 5 }), false);
});

test("bad timeout and aborted signal", async () => {
  const event = new Event();
  await assert.rejects(event.wait({ timeout: -1 }), RangeError);
  const reason = new Error("no");
  await assert.rejects(event.wait({ signal: AbortSignal.abort(reason) }), (e) => e === reason);
  const controller = new AbortController();
  const pending = event.wait({ signal: controller.signal });
  controller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
});
