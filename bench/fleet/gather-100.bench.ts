/**
 * `hostname; uname -a` collected from 100 hosts and gathered (identical outputs grouped): shoal -b
 * against clush -b, pdsh | dshbak -c, pssh -i, and paramiko/asyncssh grouping in Python.
 *
 * A run lasts about 1.5 s and swings by a tenth from one to the next, so every tool runs ROUNDS
 * times (default 5), interleaved, and their medians are compared.
 *
 *   node dist/bench/fleet/gather-100.bench.js [HOSTS] [--rounds N]
 */
import { cpuFloor, describe, median, perRoundRatios, runClush, runPdsh, runPssh, runPython, runRounds, runShoal, startBed } from "./common.js";
import type { Measured } from "./common.js";

const HOSTS = Number(process.argv[2]?.startsWith("-") ? 100 : (process.argv[2] ?? 100));
const roundsAt = process.argv.indexOf("--rounds");
const ROUNDS = roundsAt > 0 ? Number(process.argv[roundsAt + 1]) : 5;

const COMMAND = "hostname; uname -a";
const bed = await startBed(HOSTS, 4000);
try {
  await runShoal(bed, ["run", "all", "-i", bed.inventory, "-b", "--", COMMAND]);
  const tools: Record<string, () => Promise<Measured>> = {
    shoal: () => runShoal(bed, ["run", "all", "-i", bed.inventory, "-b", "--", COMMAND]),
    paramiko: () => runPython(bed, "paramiko", COMMAND),
    asyncssh: () => runPython(bed, "asyncssh", COMMAND),
    pssh: () => runPssh(bed, COMMAND),
    pdsh: () => runPdsh(bed, COMMAND, 64, bed.hosts, true),
    clush: () => runClush(bed, COMMAND, 64, bed.hostsFile, true),
  };
  const runs = await runRounds(tools, ROUNDS);
  const results: Measured[] = Object.values(runs).map(median);
  const shoal = results[0]!;
  for (const [name, list] of Object.entries(runs)) console.log(`  ${name} runs: ${list.map((m) => `${(m.wallMs / 1000).toFixed(2)}s`).join(" ")}`);
  for (const m of results) console.log(`  ${describe(m, HOSTS)} (median of ${ROUNDS})`);
  const header = /^127\.0\.1\.\[1-100\] \(100\)$/m.test(shoal.stdout);
  const anchors = results.slice(1).filter((m) => m.ok === HOSTS);
  const fastest = anchors.reduce((a, b) => (b.wallMs < a.wallMs ? b : a), anchors[0] ?? shoal);
  const perRound = perRoundRatios(runs, fastest);
  if (perRound) console.log(perRound);
  console.log(
    `fleet gather "${COMMAND}" on ${HOSTS} hosts: shoal ${(shoal.wallMs / 1000).toFixed(2)}s (one group: ${header})  fastest anchor ${fastest.name} ${(fastest.wallMs / 1000).toFixed(2)}s  ratio ${(shoal.wallMs / fastest.wallMs).toFixed(2)}x (goal <= 0.85x)${cpuFloor(runs["shoal"]!, Object.values(runs).find((list) => median(list) === fastest) ?? [fastest])}`,
  );
} finally {
  await bed.stop();
}
