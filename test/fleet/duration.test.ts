import { test } from "node:test";
import assert from "node:assert/strict";
import { formatDuration, parseDuration } from "../../src/fleet/duration.js";

test("parseDuration takes units, and a bare number as seconds", () => {
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("10s"), 10_000);
  assert.equal(parseDuration("2m"), 120_000);
  assert.equal(parseDuration("1h"), 3_600_000);
  assert.equal(parseDuration("1m30s"), 90_000);
  assert.equal(parseDuration("5"), 5000);
  assert.equal(parseDuration("0.5"), 500);
  assert.equal(parseDuration("1.5s"), 1500);
});

test("parseDuration refuses what it cannot read, saying what it expected", () => {
  for (const bad of ["", "s", "10x", "ten", "-1", "10 s", "5sm"]) {
    assert.throws(() => parseDuration(bad, "timeout"), (e: unknown) => e instanceof RangeError && /expected a number of seconds/.test(e.message) && e.message.includes("timeout"), bad);
  }
});

test("parseDuration refuses durations past Node's longest timer (24.8 days), which would fire at once", () => {
  assert.equal(parseDuration("596h"), 596 * 3_600_000);
  for (const long of ["597h", "3000000"]) assert.throws(() => parseDuration(long, "timeout"), /Cannot use timeout .*: at most 24 days/);
});

test("formatDuration reads back", () => {
  for (const ms of [250, 1500, 10_000, 90_000, 120_000]) assert.equal(parseDuration(formatDuration(ms)), ms);
});
