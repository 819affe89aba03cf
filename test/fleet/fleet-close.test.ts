/**
 * close() with a run still going: the run is cancelled (its hosts end `killed`, with the output they
 * had), and its spill folder is removed once it has ended. It used to pull the spill folder from
 * under the running hosts, which then ended `unreachable`, "connection lost", their output gone.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { Fleet } from "../../src/fleet/fleet.js";
import { privateTmpdir } from "../fixtures/private-tmpdir.js";
import { testbedForFile } from "../fixtures/testbed-for-file.js";

const bed = testbedForFile({ hosts: 3 });
const base = { sshConfig: false as const, agent: false as const };

test("close() mid-run cancels the run: every host killed, with its output so far, and no spill folder left", async (t) => {
  const tmp = await privateTmpdir(t, "shoal-close-");
  const fleet = new Fleet(bed.inventory.select("all"), base);
  // Past the 64 KiB a host keeps in memory: spilled to a file, then a wait.
  const run = fleet.run("head -c 100000 /dev/zero | tr '\\0' b; sleep 30");
  const seen = new Map<string, number>();
  let closed: Promise<void> | undefined;
  for await (const ev of run) {
    if (ev.type === "stdout") seen.set(ev.host, (seen.get(ev.host) ?? 0) + ev.bytes.length);
    if (!closed && seen.size === 3 && [...seen.values()].every((n) => n === 100_000)) closed = fleet.close();
  }
  await closed;
  const ended = await run.results();
  assert.equal(ended.length, 3);
  for (const r of ended) {
    assert.equal(r.state, "killed", `${r.host}: ${r.state} ${r.reason ?? ""}`);
    assert.equal(r.stdout, "b".repeat(100_000));
  }
  assert.deepEqual(await readdir(tmp), []);
  assert.throws(() => fleet.run("true"), /the fleet is closed/);
});

test("a run made before close() and started after it refuses to start", async () => {
  const fleet = new Fleet(bed.inventory.select("all"), base);
  const run = fleet.run("true");
  await fleet.close();
  await assert.rejects(run.results(), /Cannot run: the fleet is closed/);
});
