/**
 * A long-lived Fleet (the shell's) reads known_hosts for every run: a key added, or removed with
 * ssh-keygen -R after it changed, counts at the next run. It used to be read once for the fleet's
 * life, so a host stayed "host key unknown" until the program restarted.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Fleet } from "../../src/fleet/fleet.js";
import { adHocHost } from "../../src/fleet/host.js";
import { privateTmpdir } from "../fixtures/private-tmpdir.js";
import { testbedForFile } from "../fixtures/testbed-for-file.js";

const bed = testbedForFile({ hosts: 2 });

test("a key written to known_hosts between two runs of one fleet is trusted by the second", async (t) => {
  const dir = await privateTmpdir(t, "shoal-kh-runs-");
  const knownHosts = join(dir, "known_hosts");
  await writeFile(knownHosts, "");
  // The fleet's file, not the testbed's: the hosts name no known_hosts of their own.
  const hosts = bed.inventory.select("all").map((h) => {
    const vars = { ...h.vars };
    delete vars["known_hosts"];
    return adHocHost(h.name, vars);
  });
  await using fleet = new Fleet(hosts, { sshConfig: false, agent: false, knownHosts, keepConnections: false });
  const first = fleet.run("true");
  const results = await first.results();
  assert.ok(results.every((r) => r.state === "hostkey" && r.reason === "host key unknown"), JSON.stringify(results));
  assert.equal(first.hostKeys.length, 2);
  await writeFile(knownHosts, first.hostKeys.map((k) => `${k.lookupName} ${k.publicKey}\n`).join(""));
  const second = fleet.run("true");
  const again = await second.results();
  assert.ok(again.every((r) => r.state === "ok"), JSON.stringify(again));
  assert.deepEqual(second.hostKeys, []);
});
