/**
 * `true` on 500 hosts (one sshd with MaxStartups raised, 500 loopback addresses): shoal with its
 * defaults against paramiko with threads, asyncssh, pssh, pdsh and clush, in one run.
 * Goal: shoal's wall time <= 0.85x the fastest anchor; peak RSS of shoal's process tree <= 80 MiB.
 *
 * sshd's own cost per connection (about 20 ms of CPU here) swings by a fifth from one run to the
 * next, more than a client's whole share. So shoal and the two fastest anchors run ROUNDS times
 * (default 5, three before session 10), interleaved, and their medians are compared, and each
 * round's own ratio is printed; pssh, pdsh and clush, several times slower, run once.
 *
 * Shoal negotiates ECDH on P-256 with OpenSSH (sshd's curve25519 is slow reference code); the
 * Python anchors keep their libraries' default, curve25519, as their users get them. paramiko is
 * also run with P-256, and that ratio printed too, to show how much of the lead is the key
 * exchange. The OpenSSH-based anchors get P-256 as well.
 *
 *   node dist/bench/fleet/true-500.bench.js [HOSTS] [--quick] [--rounds N]
 */
import { cpuFloor, describe, median, perRoundRatios, runClush, runPdsh, runPssh, runPython, runShoal, startBed } from "./common.js";
import type { Measured } from "./common.js";

const HOSTS = Number(process.argv[2]?.startsWith("-") ? 500 : (process.argv[2] ?? 500));
const roundsAt = process.argv.indexOf("--rounds");
const ROUNDS = roundsAt > 0 ? Number(process.argv[roundsAt + 1]) : 5;


const bed = await startBed(HOSTS, 4000);
try {
  // Warm the page cache and sshd once, so that the first tool measured is not penalised.
  await runShoal(bed, ["run", "all", "-i", bed.inventory, "--", "true"]);
  const runs: Record<string, Measured[]> = { shoal: [], paramiko: [], asyncssh: [], "paramiko, P-256": [] };
  for (let round = 0; round < ROUNDS; round++) {
    runs["shoal"]!.push(await runShoal(bed, ["run", "all", "-i", bed.inventory, "--", "true"]));
    runs["paramiko"]!.push(await runPython(bed, "paramiko", "true"));
    runs["asyncssh"]!.push(await runPython(bed, "asyncssh", "true"));
    runs["paramiko, P-256"]!.push(await runPython(bed, "paramiko", "true", 64, bed.hostsFile, { p256: true }));
  }
  const paramikoP256 = median(runs["paramiko, P-256"]!);
  const results: Measured[] = Object.entries(runs)
    .filter(([name]) => name !== "paramiko, P-256")
    .map(([, list]) => median(list));
  if (!process.argv.includes("--quick")) {
    results.push(await runPssh(bed, "true"));
    results.push(await runPdsh(bed, "true"));
    results.push(await runClush(bed, "true"));
  }
  const shoal = results[0]!;
  const anchors = results.slice(1).filter((m) => m.ok === HOSTS);
  const fastest = anchors.reduce((a, b) => (b.wallMs < a.wallMs ? b : a), anchors[0] ?? shoal);
  for (const [name, list] of Object.entries(runs)) console.log(`  ${name} runs: ${list.map((m) => `${(m.wallMs / 1000).toFixed(2)}s`).join(" ")}`);
  for (const m of [...results, paramikoP256]) console.log(`  ${describe(m, HOSTS)}${["pssh", "pdsh", "clush"].includes(m.name) ? "" : ` (median of ${ROUNDS})`}`);
  const perRound = perRoundRatios(runs, fastest);
  if (perRound) console.log(perRound);
  const ratio = shoal.wallMs / fastest.wallMs;
  const fastestRuns = Object.values(runs).find((list) => median(list) === fastest) ?? [fastest];
  console.log(
    `fleet true on ${HOSTS} hosts: shoal ${(shoal.wallMs / 1000).toFixed(2)}s (${((HOSTS / shoal.wallMs) * 1000).toFixed(0)} conn/s)  fastest anchor ${fastest.name} ${(fastest.wallMs / 1000).toFixed(2)}s  ratio ${ratio.toFixed(2)}x (goal <= 0.85x)${cpuFloor(runs["shoal"]!, fastestRuns)}`,
  );
  if (paramikoP256.ok === HOSTS) console.log(`fleet true on ${HOSTS} hosts: against paramiko with the same P-256 key exchange (${(paramikoP256.wallMs / 1000).toFixed(2)}s): ratio ${(shoal.wallMs / paramikoP256.wallMs).toFixed(2)}x`);
  const peak = Math.max(...runs["shoal"]!.map((m) => m.peakRssKiB ?? 0));
  console.log(`fleet true on ${HOSTS} hosts: shoal peak RSS ${(peak / 1024).toFixed(1)} MiB, the highest of its runs (goal <= 80 MiB)`);
} finally {
  await bed.stop();
}
