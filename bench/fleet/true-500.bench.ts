/**
 * `true` on 500 hosts (one sshd with MaxStartups raised, 500 loopback addresses): shoal with its
 * defaults against paramiko with threads, asyncssh, pssh, pdsh and clush, in one run.
 * Goal: shoal's wall time <= 0.85x the fastest anchor; peak RSS of shoal's process tree <= 80 MiB.
 *
 *   node dist/bench/fleet/true-500.bench.js [HOSTS]
 */
import { describe, runClush, runPdsh, runPssh, runPython, runShoal, startBed } from "./common.js";
import type { Measured } from "./common.js";

const HOSTS = Number(process.argv[2] ?? 500);
const bed = await startBed(HOSTS, 4000);
try {
  const results: Measured[] = [];
  // Warm the page cache and sshd once, so that the first tool measured is not penalised.
  await runShoal(bed, ["run", "all", "-i", bed.inventory, "--", "true"]);
  results.push(await runShoal(bed, ["run", "all", "-i", bed.inventory, "--", "true"]));
  results.push(await runPython(bed, "paramiko", "true"));
  results.push(await runPython(bed, "asyncssh", "true"));
  if (!process.argv.includes("--quick")) {
    results.push(await runPssh(bed, "true"));
    results.push(await runPdsh(bed, "true"));
    results.push(await runClush(bed, "true"));
  }
  const shoal = results[0]!;
  const anchors = results.slice(1).filter((m) => m.ok === HOSTS);
  const fastest = anchors.reduce((a, b) => (b.wallMs < a.wallMs ? b : a), anchors[0] ?? shoal);
  for (const m of results) console.log(`  ${describe(m, HOSTS)}`);
  const ratio = shoal.wallMs / fastest.wallMs;
  console.log(
    `fleet true on ${HOSTS} hosts: shoal ${(shoal.wallMs / 1000).toFixed(2)}s (${((HOSTS / shoal.wallMs) * 1000).toFixed(0)} conn/s)  fastest anchor ${fastest.name} ${(fastest.wallMs / 1000).toFixed(2)}s  ratio ${ratio.toFixed(2)}x (goal <= 0.85x)`,
  );
  console.log(`fleet true on ${HOSTS} hosts: shoal peak RSS ${((shoal.peakRssKiB ?? 0) / 1024).toFixed(1)} MiB (goal <= 80 MiB)`);
} finally {
  await bed.stop();
}
