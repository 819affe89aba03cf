/**
 * One host, one kept connection, one `done` per run: a name given twice to a Fleet ran twice, and two
 * runs at once on one host with keepConnections each kept a connection, the second displacing the
 * first out of close()'s reach, open, so that the program never exited.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Fleet } from "../../src/fleet/fleet.js";
import { privateTmpdir } from "../fixtures/private-tmpdir.js";
import { testbedForFile } from "../fixtures/testbed-for-file.js";

const bed = testbedForFile({ hosts: 2 });
const base = { sshConfig: false as const, agent: false as const };

test("a host given twice is one host of the fleet: it runs once", async () => {
  const [first] = bed.inventory.select("all");
  await using fleet = new Fleet([...bed.inventory.select("all"), first!, first!.name], base);
  assert.deepEqual(fleet.hosts.map((h) => h.name), bed.inventory.select("all").map((h) => h.name));
  const results = await fleet.run("true").results();
  assert.deepEqual(results.map((r) => r.host).sort(), bed.inventory.select("all").map((h) => h.name).sort());
});

test("two runs at once with keepConnections: after close() nothing is left open, and the program exits", { timeout: 60_000 }, async (t) => {
  const dir = await privateTmpdir(t, "shoal-two-runs-");
  const program = join(dir, "two-runs.mjs");
  const fleetModule = fileURLToPath(new URL("../../src/fleet/index.js", import.meta.url));
  await writeFile(
    program,
    `import { Inventory, Fleet } from ${JSON.stringify(fleetModule)};
const inventory = await Inventory.load(${JSON.stringify(bed.testbed.inventoryFile)});
const fleet = new Fleet(inventory.select("all"), { sshConfig: false, agent: false, keepConnections: true });
const [a, b] = await Promise.all([fleet.run("true").results(), fleet.run("true").results()]);
if (![...a, ...b].every((r) => r.state === "ok")) throw new Error(JSON.stringify([a, b]));
await fleet.close();
console.log("closed");
`,
  );
  const child = spawn(process.execPath, [program], { stdio: ["ignore", "pipe", "pipe"], env: process.env });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  // Given 20 s to exit by itself after it closed; a connection left open keeps it alive for good.
  const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const [status, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on("close", (code, sig) => resolve([code, sig])));
  clearTimeout(killer);
  assert.equal(signal, null, `still running 20 s later: ${out}`);
  assert.equal(status, 0, out);
  assert.equal(out.trim(), "closed");
});
