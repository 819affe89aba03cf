/**
 * `true` on 500 hosts against ONE sshd left at its default `MaxStartups 10:30:100`, every tool at
 * 64 connections at a time: shoal's per-server handshake cap completes every host; tools that open
 * 64 handshakes at once lose the ones sshd drops.
 *
 *   node dist/bench/fleet/maxstartups.bench.js [HOSTS]
 */
import { describe, runClush, runPdsh, runPssh, runPython, runShoal, startBed } from "./common.js";
import type { Measured } from "./common.js";

const HOSTS = Number(process.argv[2] ?? 500);
const bed = await startBed(HOSTS); // sshd's default MaxStartups
try {
  const results: Measured[] = [];
  results.push(await runShoal(bed, ["run", "all", "-i", bed.inventory, "--", "true"]));
  results.push(await runPython(bed, "paramiko", "true"));
  results.push(await runPython(bed, "asyncssh", "true"));
  if (!process.argv.includes("--quick")) {
    results.push(await runPssh(bed, "true"));
    results.push(await runPdsh(bed, "true"));
    results.push(await runClush(bed, "true"));
  }
  for (const m of results) console.log(`  ${describe(m, HOSTS)}`);
  const shoal = results[0]!;
  const others = results.slice(1);
  const lost = others.map((m) => `${m.name} ${HOSTS - m.ok}`).join(", ");
  console.log(`fleet true on ${HOSTS} hosts, default MaxStartups 10:30:100: shoal completed ${shoal.ok}/${HOSTS} in ${(shoal.wallMs / 1000).toFixed(2)}s (goal: all); hosts lost by the others: ${lost}`);
} finally {
  await bed.stop();
}
