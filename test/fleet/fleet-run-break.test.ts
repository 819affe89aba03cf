/**
 * Leaving a run's for-await loop early (break, return, a throw) stops the run: nobody reads its
 * events any more, so hosts still working would otherwise wait on the full event queue for ever,
 * their commands running and their connections open.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Fleet } from "../../src/fleet/fleet.js";
import { testbedForFile } from "../fixtures/testbed-for-file.js";

const bed = testbedForFile({ hosts: 3 });
const base = { sshConfig: false as const, agent: false as const };

test("break out of a run printing without end: every host ends killed, and the loop ends", { timeout: 30_000 }, async () => {
  await using fleet = new Fleet(bed.inventory.select("all"), base);
  const run = fleet.run("yes");
  for await (const ev of run) if (ev.type === "stdout") break;
  const results = await run.results();
  assert.deepEqual(results.map((r) => r.host).sort(), bed.inventory.select("all").map((h) => h.name).sort());
  assert.ok(results.every((r) => r.state === "killed"), JSON.stringify(results.map((r) => [r.host, r.state, r.reason])));
});

test("a throw in the loop stops the run too, and kept connections stay for the next run", { timeout: 30_000 }, async () => {
  await using fleet = new Fleet(bed.inventory.select("all"), { ...base, keepConnections: true });
  const run = fleet.run("echo up; sleep 60");
  await assert.rejects(async () => {
    for await (const ev of run) if (ev.type === "stdout") throw new Error("enough");
  }, /enough/);
  const results = await run.results();
  assert.equal(results.length, 3);
  assert.ok(results.every((r) => r.state === "killed"), JSON.stringify(results.map((r) => [r.host, r.state, r.reason])));
  const next = await fleet.run("echo again").results();
  assert.ok(next.every((r) => r.state === "ok" && r.stdout === "again\n"));
});
