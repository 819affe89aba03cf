/**
 * 200 hosts of the embedded testbed with faults mixed in: hosts that refuse, hang without a banner,
 * reject auth, drop mid-command, and print megabytes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startTestbed } from "../../src/testbed/index.js";
import { Inventory } from "../../src/fleet/inventory.js";
import { Fleet } from "../../src/fleet/fleet.js";
import type { FinalState, FleetEvent, HostResult } from "../../src/fleet/events.js";
import { exitStatusOf } from "../../src/fleet/summary.js";

test("200 hosts with faults end within connect-timeout + command-timeout + a margin, each in its one right state", async (t) => {
  const testbed = await startTestbed({ hosts: 200, random: { refuse: 8, hang: 8, authFail: 8, drop: 8, seed: 8 } });
  t.after(() => testbed.stop());
  const saved = { ...process.env };
  Object.assign(process.env, testbed.env());
  t.after(() => {
    for (const k of Object.keys(testbed.env())) if (!(k in saved)) delete process.env[k];
  });
  const inventory = await Inventory.load(testbed.inventoryFile);
  const hosts = inventory.select("all");
  assert.equal(hosts.length, 200);
  const faultOf = (name: string) => String(inventory.get(name)!.vars["testbed_fault"] ?? "");
  const healthy = hosts.filter((h) => faultOf(h.name) === "").map((h) => h.name);
  const loud = new Set(healthy.slice(0, 3)); // these print megabytes
  const slow = healthy[3]!; // this one outlives the command timeout

  const connectTimeout = 4000; // generous: this process also runs the 200 testbed servers
  const commandTimeout = 5000; // the loud hosts print 2 MB each: room for a loaded machine
  const margin = 3000;
  await using fleet = new Fleet(hosts, { connectTimeout, sshConfig: false, agent: false });
  const command = `case "$SHOAL_HOST" in ${[...loud].join("|")}) head -c 2000000 /dev/zero | tr '\\0' y;; ${slow}) sleep 30;; *) echo "up $SHOAL_HOST"; sleep 0.3;; esac`;
  const t0 = performance.now();
  const done = new Map<string, HostResult>();
  const stdoutBytes = new Map<string, number>();
  for await (const ev of fleet.run(command, { timeout: commandTimeout, collect: false }) as AsyncIterable<FleetEvent>) {
    if (ev.type === "stdout") stdoutBytes.set(ev.host, (stdoutBytes.get(ev.host) ?? 0) + Buffer.byteLength(ev.data));
    if (ev.type === "done") {
      assert.equal(done.has(ev.host), false, `${ev.host} ended twice`);
      done.set(ev.host, ev.result);
    }
  }
  const elapsed = performance.now() - t0;
  assert.ok(elapsed < connectTimeout + commandTimeout + margin, `took ${elapsed.toFixed(0)} ms`);
  assert.equal(done.size, 200);

  const expected = (name: string): FinalState => {
    const f = faultOf(name);
    if (f.includes("refuse")) return "unreachable";
    if (f.includes("hang")) return "timeout";
    if (f.includes("auth-fail")) return "auth";
    if (f.includes("drop")) return "unreachable";
    if (name === slow) return "timeout";
    return "ok";
  };
  for (const [name, r] of done) assert.equal(r.state, expected(name), `${name} (${faultOf(name) || "healthy"}): ${r.state} ${r.reason ?? ""}`);
  const reasons = (fault: string) => new Set(hosts.filter((h) => faultOf(h.name).includes(fault)).map((h) => done.get(h.name)!.reason));
  assert.deepEqual(reasons("refuse"), new Set(["connection refused"]));
  assert.deepEqual(reasons("hang"), new Set(["connect timed out"]));
  assert.deepEqual(reasons("drop"), new Set(["connection lost"]));
  for (const h of loud) assert.equal(stdoutBytes.get(h), 2_000_000);
  assert.equal(exitStatusOf([...done.values()]), 2);
});
