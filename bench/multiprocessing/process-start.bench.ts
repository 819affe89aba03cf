/**
 * `Process` start to first message (a Queue item from the child), against Python's spawn start
 * method, three ways:
 * - the median of RUNS starts one after another: shoal keeps a warm spare child after the first
 *   start (see src/multiprocessing/process.ts), so this is the steady state;
 * - the first start of a program (cold: Node boots and loads shoal's modules);
 * - BURST processes started at once by a fresh program, until each has sent its first message
 *   (the lesson's ten processes under a Lock start this way).
 *
 *   node dist/bench/multiprocessing/process-start.bench.js
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Process, Queue, isMainModule } from "../../src/multiprocessing/index.js";
import { python, report } from "./anchor.js";
import { PYTHON } from "../python.js";

const RUNS = Number(process.env.RUNS ?? 9);
const BURST = Number(process.env.BURST ?? 10);
// Between starts (both sides pause alike): time for the spare child to be ready.
const PAUSE_MS = 300;

/** The median, over 5 tries, of the wall time of `count` processes `command ...args` started at once. */
function bareBoots(command: string, args: string[], count = 1): number {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    execFileSync("sh", ["-c", `for i in $(seq ${count}); do "$0" "$@" & done; wait`, command, ...args]);
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[2]!;
}

async function oneAfterAnother(runs: number): Promise<{ medianMs: number; firstMs: number }> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const q = new Queue<number>();
    const started = performance.now();
    const p = new Process({ target: async (q: Queue<number>) => q.put(1), args: [q] });
    p.start();
    await q.get();
    times.push(performance.now() - started);
    await p.join();
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
  }
  const firstMs = times[0]!;
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)]!, firstMs };
}

async function burst(n: number): Promise<number> {
  const q = new Queue<number>();
  // One function for all, as Python's run (and the lesson's ten processes) use one.
  const first = async (q: Queue<number>): Promise<void> => q.put(1);
  const started = performance.now();
  const ps = Array.from({ length: n }, () => new Process({ target: first, args: [q] }));
  for (const p of ps) p.start();
  for (let i = 0; i < n; i++) await q.get();
  const elapsed = performance.now() - started;
  await Promise.all(ps.map((p) => p.join()));
  return elapsed;
}

if (process.argv[2] === "--burst") {
  console.log(JSON.stringify({ ms: await burst(Number(process.argv[3])) }));
} else if (isMainModule(import.meta)) {
  const shoal = await oneAfterAnother(RUNS);
  const anchor = python<{ medianMs: number; firstMs: number }>("start", RUNS);
  report("Process start to first message (median)", shoal.medianMs, anchor.medianMs, " ms", "<= python (ratio >= 1x)", false);
  report("the same, the program's first (cold) start", shoal.firstMs, anchor.firstMs, " ms", "<= python (ratio >= 1x)", false);
  // In a fresh program each, as Python's runs.
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), "--burst", String(BURST)], { encoding: "utf8" });
  const shoalBurst = (JSON.parse(out.trim().split("\n").pop()!) as { ms: number }).ms;
  report(`${BURST} processes started at once, to every first message`, shoalBurst, python<{ ms: number }>("burst", BURST).ms, " ms", "<= python (ratio >= 1x)", false);
  // The floor under the two cold lines: Node's boot alone, before any code of shoal runs.
  const bare = bareBoots(process.execPath, ["-e", "0"]);
  const bareBurst = bareBoots(process.execPath, ["-e", "0"], BURST);
  console.log(`  (machine check: a bare \`node -e 0\` takes ${bare.toFixed(0)} ms, ${BURST} at once ${bareBurst.toFixed(0)} ms; \`python3 -c 0\` ${bareBoots(PYTHON, ["-c", "0"]).toFixed(0)} ms)`);
  if (process.env.NODE_EXTRA_CA_CERTS) {
    console.log(`  (NODE_EXTRA_CA_CERTS is set: every Node process parses ${process.env.NODE_EXTRA_CA_CERTS} as it boots, ~50 ms here; Python does not)`);
  }
}
