/**
 * ThreadPool (worker threads) against piscina, side by side in one run.
 *
 * Goals (issue 5), 2 threads each:
 * - 100,000 trivial tasks submitted at once: >= 2x piscina's best configuration (default, and
 *   concurrentTasksPerWorker 16);
 * - one task at a time: <= 25 µs per round trip (piscina printed beside it).
 *
 * SHOAL_BENCH_PROCESSES, SHOAL_BENCH_RUNS, SHOAL_BENCH_TASKS scale it.
 */
import { Piscina } from "piscina";
import { ThreadPool } from "../../src/multiprocessing/pool/index.js";
import { square } from "./tasks.js";
import { best, least, perSecond, ratio } from "./report.js";

const THREADS = Number(process.env.SHOAL_BENCH_PROCESSES ?? 2);
const RUNS = Number(process.env.SHOAL_BENCH_RUNS ?? 3);
const TASKS = Number(process.env.SHOAL_BENCH_TASKS ?? 100_000);
const ROUND_TRIPS = Math.min(TASKS, 20_000);
const TASK_FILE = new URL("./tasks.js", import.meta.url).href;

interface Runner {
  /** Submits one task among many (shoal: `applyAsync`). */
  submit(x: number): PromiseLike<number>;
  /** Runs one task and resolves its value (shoal: `apply`). */
  run(x: number): Promise<number>;
  close(): Promise<void>;
}

async function atOnce(runner: Runner): Promise<number> {
  const t = performance.now();
  const results: PromiseLike<number>[] = [];
  for (let i = 0; i < TASKS; i++) results.push(runner.submit(i));
  for (const r of results) await r;
  return TASKS / ((performance.now() - t) / 1000);
}

/** Microseconds per task, one after the other. */
async function oneAtATime(runner: Runner): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < ROUND_TRIPS; i++) await runner.run(i);
  return ((performance.now() - t) * 1000) / ROUND_TRIPS;
}

function shoal(): Runner {
  const pool = new ThreadPool({ processes: THREADS });
  return { submit: (x) => pool.applyAsync(square, [x]), run: (x) => pool.apply(square, [x]), close: () => pool.terminate() };
}

function piscina(concurrentTasksPerWorker: number): Runner {
  const pool = new Piscina({ filename: TASK_FILE, minThreads: THREADS, maxThreads: THREADS, concurrentTasksPerWorker });
  const run = (x: number): Promise<number> => pool.run(x) as Promise<number>;
  return { submit: run, run, close: () => pool.destroy() };
}

async function measure(make: () => Runner): Promise<{ rate: number; micros: number }> {
  const runner = make();
  try {
    for (let i = 0; i < 2_000; i++) await runner.run(i); // warm up: threads started, code compiled
    await atOnce(runner);
    const rate = await best(RUNS, () => atOnce(runner));
    const micros = await least(RUNS, () => oneAtATime(runner));
    return { rate, micros };
  } finally {
    await runner.close();
  }
}

const ours = await measure(shoal);
const plain = await measure(() => piscina(1));
const concurrent = await measure(() => piscina(16));
const piscinaBest = Math.max(plain.rate, concurrent.rate);
console.log(
  `ThreadPool(${THREADS}) ${TASKS} trivial tasks at once: shoal ${perSecond(ours.rate)}  piscina ${perSecond(plain.rate)}  piscina concurrentTasksPerWorker=16 ${perSecond(concurrent.rate)}  ratio ${ratio(ours.rate / piscinaBest)} vs piscina's best (goal >= 2x)`,
);
console.log(
  `ThreadPool(${THREADS}) one task at a time: shoal ${ours.micros.toFixed(1)} µs  piscina ${plain.micros.toFixed(1)} µs  piscina concurrentTasksPerWorker=16 ${concurrent.micros.toFixed(1)} µs  ratio ${ratio(Math.min(plain.micros, concurrent.micros) / ours.micros)} faster (goal <= 25 µs per round trip)`,
);
