/**
 * A host's events come in one order: queued, connecting, connected, its output, exit, done. Output
 * ending in a cut UTF-8 character used to be told (as U+FFFD) after the exit.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Fleet } from "../../src/fleet/fleet.js";
import type { FleetEvent } from "../../src/fleet/events.js";
import { testbedForFile } from "../fixtures/testbed-for-file.js";

const bed = testbedForFile({ hosts: 2 });

test("no output after the exit: a character cut off at the end comes before it", async () => {
  await using fleet = new Fleet(bed.inventory.select("all"), { sshConfig: false, agent: false });
  const byHost = new Map<string, FleetEvent[]>();
  // "a", then the first two bytes of "€" on each stream.
  for await (const ev of fleet.run("printf 'a\\342\\202'; printf 'e\\342\\202' >&2; exit 3")) {
    byHost.set(ev.host, [...(byHost.get(ev.host) ?? []), ev]);
  }
  assert.equal(byHost.size, 2);
  for (const [host, evs] of byHost) {
    const types = evs.map((e) => e.type);
    assert.deepEqual(types.slice(0, 3), ["queued", "connecting", "connected"], host);
    assert.deepEqual(types.slice(-2), ["exit", "done"], `${host}: ${types.join(" ")}`);
    const text = (stream: string) => evs.flatMap((e) => (e.type === stream && (e.type === "stdout" || e.type === "stderr") ? [e.data] : [])).join("");
    assert.equal(text("stdout"), "a\uFFFD");
    assert.equal(text("stderr"), "e\uFFFD");
    const done = evs.at(-1);
    assert.ok(done?.type === "done" && done.result.state === "failed" && done.result.exitStatus === 3);
  }
});
