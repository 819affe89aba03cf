/**
 * `Process` start to first message (a Queue item from the child), median of RUNS starts, against
 * Python's spawn start method. shoal keeps a warm spare child after the first start (see
 * src/multiprocessing/process.ts), so the median reflects the steady state; the first (cold) start
 * is printed too.
 */
import { Process, Queue } from "../../src/multiprocessing/index.js";
import { python, report } from "./anchor.js";

const RUNS = Number(process.env.RUNS ?? 9);
// Between starts (both sides pause alike): time for the spare child to be ready.
const PAUSE_MS = 300;

const times: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const q = new Queue<number>();
  const started = performance.now();
  const p = new Process({ target: async (q: Queue<number>) => q.put(1), args: [q] });
  p.start();
  await q.get();
  times.push(performance.now() - started);
  await p.join();
  await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
}
const cold = times[0]!;
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)]!;
const anchor = python<{ medianMs: number }>("start", RUNS);
report("Process start to first message (median)", median, anchor.medianMs, " ms", "<= python (ratio >= 1x)", false);
console.log(`  (shoal's first, cold start: ${cold.toFixed(1)} ms)`);
