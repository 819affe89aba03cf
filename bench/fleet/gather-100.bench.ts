/**
 * `hostname; uname -a` collected from 100 hosts and gathered (identical outputs grouped): shoal -b
 * against clush -b, pdsh | dshbak -c, pssh -i, and paramiko/asyncssh grouping in Python.
 *
 *   node dist/bench/fleet/gather-100.bench.js [HOSTS]
 */
import { describe, runClush, runPdsh, runPssh, runPython, runShoal, startBed } from "./common.js";
import type { Measured } from "./common.js";

const HOSTS = Number(process.argv[2] ?? 100);
const COMMAND = "hostname; uname -a";
const bed = await startBed(HOSTS, 4000);
try {
  const results: Measured[] = [];
  await runShoal(bed, ["run", "all", "-i", bed.inventory, "-b", "--", COMMAND]);
  const shoal = await runShoal(bed, ["run", "all", "-i", bed.inventory, "-b", "--", COMMAND]);
  results.push(shoal);
  results.push(await runPython(bed, "paramiko", COMMAND));
  results.push(await runPython(bed, "asyncssh", COMMAND));
  results.push(await runPssh(bed, COMMAND));
  results.push(await runPdsh(bed, COMMAND, 64, bed.hosts, true));
  results.push(await runClush(bed, COMMAND, 64, bed.hostsFile, true));
  for (const m of results) console.log(`  ${describe(m, HOSTS)}`);
  const header = /^127\.0\.1\.\[1-100\] \(100\)$/m.test(shoal.stdout);
  const anchors = results.slice(1).filter((m) => m.ok === HOSTS);
  const fastest = anchors.reduce((a, b) => (b.wallMs < a.wallMs ? b : a), anchors[0] ?? shoal);
  console.log(
    `fleet gather "${COMMAND}" on ${HOSTS} hosts: shoal ${(shoal.wallMs / 1000).toFixed(2)}s (one group: ${header})  fastest anchor ${fastest.name} ${(fastest.wallMs / 1000).toFixed(2)}s  ratio ${(shoal.wallMs / fastest.wallMs).toFixed(2)}x (goal <= 0.85x)`,
  );
} finally {
  await bed.stop();
}
