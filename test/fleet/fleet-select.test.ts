/**
 * One Fleet, many selections: `run(cmd, { hosts })` works on a subset of the fleet's hosts, and the
 * connections kept open serve every selection (what the interactive shell relies on).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { Fleet } from "../../src/fleet/fleet.js";
import type { FleetEvent } from "../../src/fleet/events.js";
import { privateTmpdir } from "../fixtures/private-tmpdir.js";
import { testbedForFile } from "../fixtures/testbed-for-file.js";

const bed = testbedForFile({ hosts: 4 });
const base = { sshConfig: false as const, agent: false as const };

async function events(run: AsyncIterable<FleetEvent>): Promise<FleetEvent[]> {
  const all: FleetEvent[] = [];
  for await (const ev of run) all.push(ev);
  return all;
}

const reusedOf = (evs: FleetEvent[]) => Object.fromEntries(evs.flatMap((e) => (e.type === "connected" ? [[e.host, e.reused]] : [])));

test("run on a subset: only those hosts, each over the connection any earlier selection opened", async () => {
  const before = Object.fromEntries(bed.testbed.hosts.map((h) => [h.name, bed.testbed.connectionCount(h.name)]));
  await using fleet = new Fleet(bed.inventory.select("all"), { ...base, keepConnections: true });
  const first = await fleet.run("echo $SHOAL_HOST", { hosts: ["web01", "web02"] }).results();
  assert.deepEqual(first.map((r) => r.host).sort(), ["web01", "web02"]);
  assert.ok(first.every((r) => r.state === "ok" && r.stdout === `${r.host}\n`));
  assert.equal(fleet.openConnections, 2);

  // Host objects (as inventory.select gives them) select too, in any overlap with the last selection.
  const second = await events(fleet.run("true", { hosts: bed.inventory.select("web02,db01") }));
  assert.deepEqual(reusedOf(second), { web02: true, db01: false });
  assert.deepEqual(second.filter((e) => e.type === "queued").map((e) => e.host), ["web02", "db01"]);
  assert.equal(fleet.openConnections, 3);

  // A command cancelled (Ctrl-C in the shell) loses its channel, not its connection.
  const run = fleet.run("echo started; sleep 30", { hosts: ["web01"] });
  const seen: FleetEvent[] = [];
  for await (const ev of run) {
    seen.push(ev);
    if (ev.type === "stdout") run.cancel();
  }
  const ended = seen.find((e) => e.type === "done");
  assert.equal(ended?.type === "done" ? ended.result.state : undefined, "killed");
  const third = await events(fleet.run("true", { hosts: ["web01", "web02", "db01", "cache01"] }));
  assert.deepEqual(reusedOf(third), { web01: true, web02: true, db01: true, cache01: false });

  // Each host accepted exactly one TCP connection for all of it.
  for (const h of bed.testbed.hosts) assert.equal(bed.testbed.connectionCount(h.name) - before[h.name]!, 1, h.name);
});

test("a host the fleet does not have is refused by name; keepConnections: N keeps the N most recent", async () => {
  await using fleet = new Fleet(bed.inventory.select("@web"), { ...base, keepConnections: 1 });
  assert.throws(() => fleet.run("true", { hosts: ["db01"] }), { name: "RangeError", message: /Cannot select host "db01": it is not one of this fleet's hosts/ });
  await fleet.run("true").results();
  assert.equal(fleet.openConnections, 1);
});

test("add() gives the fleet more hosts, for later runs to select (a shell without an inventory); a name it has stays as it is", async () => {
  await using fleet = new Fleet([], { ...base, keepConnections: true });
  const [web01, db01] = [bed.inventory.get("web01")!, bed.inventory.get("db01")!];
  fleet.add([web01]);
  fleet.add([{ ...web01, vars: { ...web01.vars, port: 1 } }, db01]);
  assert.deepEqual(fleet.hosts.map((h) => h.name), ["web01", "db01"]);
  assert.equal(fleet.hosts[0], web01);
  const results = await fleet.run("echo $SHOAL_HOST", { hosts: ["db01", "web01"] }).results();
  assert.ok(results.every((r) => r.state === "ok" && r.stdout === `${r.host}\n`), JSON.stringify(results));
  assert.equal(fleet.openConnections, 2);
});

test("a long-lived fleet keeps no spilled output between runs: each host's is read back into its result, then removed", async (t) => {
  const spill = await privateTmpdir(t, "shoal-spill-");
  await using fleet = new Fleet(bed.inventory.select("@web"), { ...base, keepConnections: true });
  const files = () => spawnSync("find", [spill, "-type", "f"], { encoding: "utf8" }).stdout.split("\n").filter((l) => l !== "");
  // Past the 64 KiB a host keeps in memory: spilled while it runs.
  const command = "head -c 200000 /dev/zero | tr '\\0' a; echo; echo done >&2";
  for (let i = 0; i < 2; i++) {
    const results = await fleet.run(command).results();
    assert.ok(results.every((r) => r.state === "ok" && r.stdout!.length === 200_001 && r.stderr === "done\n"), JSON.stringify(results.map((r) => r.state)));
    assert.deepEqual(files(), []);
  }
  // The memory budget came back too: a small output after them is still kept in memory.
  const [small] = await fleet.run("echo small", { hosts: ["web01"] }).results();
  assert.equal(small!.stdout, "small\n");
  assert.deepEqual(files(), []);
});
