import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HostResult } from "../../src/fleet/events.js";
import { exitStatusOf, formatSummary, summarize } from "../../src/fleet/summary.js";
import { loadSavedSets, loadSets, saveSets, savedHostsOf, setsOf } from "../../src/fleet/last-sets.js";
import { Inventory } from "../../src/fleet/inventory.js";

const r = (host: string, state: HostResult["state"], reason?: string): HostResult => ({ host, state, reason, durationMs: 1 });

test("the summary counts final states and folds failed hosts per reason", () => {
  const results = [r("web01", "ok"), r("web02", "failed", "exit 3"), r("web03", "failed", "exit 3"), r("web05", "failed", "exit 3"), r("web04", "timeout", "connect timed out"), r("db1", "auth", "authentication failed")];
  const s = summarize(results, 1500);
  assert.equal(s.counts.ok, 1);
  assert.equal(s.counts.failed, 3);
  assert.deepEqual(s.problems[0], { state: "failed", reason: "exit 3", hosts: ["web02", "web03", "web05"] });
  const text = formatSummary(s, { savedSets: ["last.failed"] });
  assert.match(text, /^6 hosts in 1\.50s: ok 1, failed 3, timeout 1, auth 1\n/);
  assert.match(text, /failed +exit 3: web\[02-03,05\] \(3\)/);
  assert.match(text, /timeout +connect timed out: web04 \(1\)/);
  assert.match(text, /saved: @last\.failed/);
  // Without the wall time (the library's callers often have none), no "in 0ms".
  assert.match(formatSummary(summarize(results)), /^6 hosts: ok 1, failed 3, timeout 1, auth 1\n/);
});

test("exit status: 0 all ok, 1 a command failed, 2 a host unreachable, unauthenticated or late", () => {
  assert.equal(exitStatusOf([r("a", "ok")]), 0);
  assert.equal(exitStatusOf([]), 0);
  assert.equal(exitStatusOf([r("a", "ok"), r("b", "failed")]), 1);
  for (const bad of ["timeout", "unreachable", "auth", "hostkey", "killed"] as const) assert.equal(exitStatusOf([r("a", "failed"), r("b", bad), r("c", "failed")]), 2);
});

test("sets are saved so that @last.failed is exactly the hosts that were not ok", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "shoal-sets-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const sets = setsOf([r("a", "ok"), r("b", "failed"), r("c", "timeout"), r("d", "ok")]);
  assert.deepEqual(sets.get("last.failed"), ["b", "c"]);
  assert.deepEqual(sets.get("last.ok"), ["a", "d"]);
  assert.deepEqual(sets.get("last.nonzero"), ["b"]);
  assert.deepEqual(sets.get("last.timeout"), ["c"]);
  assert.equal(sets.has("last.auth"), false);
  await saveSets(sets, dir);
  assert.deepEqual(await loadSets(dir), sets);
  assert.deepEqual(await loadSets(join(dir, "none")), new Map());
  // A file that holds no object counts as nothing saved (null threw a TypeError).
  for (const text of ["null", "[]", "3", '"x"']) {
    await writeFile(join(dir, "last.json"), text);
    assert.deepEqual(await loadSavedSets(dir), { sets: new Map(), hosts: new Map() }, text);
  }
});

test("the hosts a run reached other than as its inventory says are saved with the sets; files without them still load", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "shoal-sets-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const sets = setsOf([r("127.0.91.1", "unreachable"), r("web01", "ok")]);
  await saveSets(sets, dir, new Map([["127.0.91.1", { user: "shoal", port: 2200 }]]));
  assert.deepEqual(await loadSavedSets(dir), { sets, hosts: new Map([["127.0.91.1", { user: "shoal", port: 2200 }]]) });
  assert.deepEqual(await loadSets(dir), sets);
  // The sets stay lists of names, as older versions read them.
  assert.deepEqual((JSON.parse(await readFile(join(dir, "last.json"), "utf8")) as Record<string, unknown>)["last.failed"], ["127.0.91.1"]);
  await writeFile(join(dir, "last.json"), JSON.stringify({ "last.failed": ["a", "b"] }));
  assert.deepEqual(await loadSavedSets(dir), { sets: new Map([["last.failed", ["a", "b"]]]), hosts: new Map() });
  // What cannot be a user or a port is dropped, the host kept.
  await writeFile(join(dir, "last.json"), JSON.stringify({ "last.failed": ["a"], hosts: { a: { user: "", port: 70000 }, b: 3 } }));
  assert.deepEqual((await loadSavedSets(dir)).hosts, new Map([["a", {}]]));
});

test("savedHostsOf keeps the hosts the inventory lacks, and those reached with another user or port", () => {
  const inventory = Inventory.parse("defaults: { user: deploy }\nhosts: [web01, web02, { host: web03, port: 2222 }]\n");
  const hosts = [
    inventory.get("web01")!,
    { ...inventory.get("web02")!, vars: { user: "root" } },
    inventory.get("web03")!,
    { name: "127.0.91.1", groups: [], vars: { user: "shoal", port: 2200 } },
    { name: "bare", groups: [], vars: {} },
  ];
  assert.deepEqual(savedHostsOf(hosts, inventory), new Map([["web02", { user: "root" }], ["127.0.91.1", { user: "shoal", port: 2200 }], ["bare", {}]]));
});
