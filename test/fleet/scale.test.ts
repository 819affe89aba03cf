/**
 * 10,000 hosts, as the fleet issue asks: the cap on connections and open files is forks, not hosts. The hosts refuse at once
 * (nothing listens on port 1), so the run is quick while every host still goes through the runner.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import v8 from "node:v8";
import vm from "node:vm";
import { Fleet } from "../../src/fleet/fleet.js";
import { adHocHost } from "../../src/fleet/host.js";
import { loopback } from "./helpers.js";

// What the run keeps, not the garbage it has not collected yet: heapUsed is read after a full GC.
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

function retainedHeap(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

function openFiles(): number {
  return readdirSync("/proc/self/fd").length;
}

test("10,000 hosts: connections and open files stay under forks; memory stays bounded", async () => {
  const N = 10_000;
  const forks = 64;
  const hosts = Array.from({ length: N }, (_, i) => adHocHost(loopback(i), { port: 1, user: "nobody" }));
  await using fleet = new Fleet(hosts, { forks, knownHosts: false, sshConfig: false, agent: false, defaultIdentityFiles: [] });
  const fdBefore = openFiles();
  const heapBefore = retainedHeap();
  let inFlight = 0;
  let maxInFlight = 0;
  let maxFds = 0;
  let done = 0;
  let events = 0;
  for await (const ev of fleet.run("true", { collect: false })) {
    events++;
    if (ev.type === "connecting") maxInFlight = Math.max(maxInFlight, ++inFlight);
    if (ev.type === "done") {
      inFlight--;
      done++;
      assert.equal(ev.result.state, "unreachable");
    }
    if (events % 500 === 0) maxFds = Math.max(maxFds, openFiles());
  }
  assert.equal(done, N);
  assert.ok(maxInFlight <= forks, `max in flight ${maxInFlight}`);
  assert.ok(maxFds - fdBefore <= forks + 16, `open files grew from ${fdBefore} to ${maxFds}`);
  const heapGrowth = (retainedHeap() - heapBefore) / 2 ** 20;
  // About 3 MiB here: a host's state must not outlive it (16 MiB is 1.6 KiB a host).
  assert.ok(heapGrowth < 16, `heap grew ${heapGrowth.toFixed(1)} MiB`);
});
