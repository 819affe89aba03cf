/**
 * LoopPool (calls on the event loop, `processes` at a time) against Python's ThreadPool, its
 * model, and p-queue, the npm package for bounded concurrency on the event loop; side by side in
 * one run. The calls are async and trivial, so this is what the pool itself costs per task.
 *
 * Goals: at least Python's ThreadPool (>= 1x); report p-queue.
 *
 *   node dist/bench/pool/loop-pool.bench.js
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import PQueue from "p-queue";
import { LoopPool } from "../../src/multiprocessing/pool/index.js";
import { PYTHON } from "../python.js";
import { best, perSecond, ratio } from "./report.js";

const CONCURRENCY = Number(process.env.SHOAL_BENCH_PROCESSES ?? 8);
const RUNS = Number(process.env.SHOAL_BENCH_RUNS ?? 3);
const TASKS = Number(process.env.SHOAL_BENCH_TASKS ?? 100_000);
const ANCHOR = fileURLToPath(new URL("../../../bench/pool/anchor_thread_pool.py", import.meta.url));

const work = async (x: number): Promise<number> => x + 1;
const items = Array.from({ length: TASKS }, (_, i) => i);

async function loopPoolApply(): Promise<number> {
  const pool = new LoopPool({ processes: CONCURRENCY });
  const t = performance.now();
  const results = items.map((i) => pool.applyAsync(work, [i]));
  for (const r of results) await r;
  const rate = TASKS / ((performance.now() - t) / 1000);
  await pool.terminate();
  return rate;
}

async function loopPoolMap(): Promise<number> {
  const pool = new LoopPool({ processes: CONCURRENCY });
  const t = performance.now();
  await pool.map(work, items, { chunksize: 1 });
  const rate = TASKS / ((performance.now() - t) / 1000);
  await pool.terminate();
  return rate;
}

async function pQueue(): Promise<number> {
  const queue = new PQueue({ concurrency: CONCURRENCY });
  const t = performance.now();
  await Promise.all(items.map((i) => queue.add(() => work(i))));
  return TASKS / ((performance.now() - t) / 1000);
}

const apply = await best(RUNS, loopPoolApply);
const map = await best(RUNS, loopPoolMap);
const pq = await best(RUNS, pQueue);
const python = JSON.parse(execFileSync(PYTHON, [ANCHOR, String(CONCURRENCY), String(RUNS), String(TASKS)], { encoding: "utf8" })) as { applyAsync: number; map: number };
console.log(`LoopPool(${CONCURRENCY}) ${TASKS} trivial async tasks, applyAsync: shoal ${perSecond(apply)}  python ThreadPool apply_async ${perSecond(python.applyAsync)}  ratio ${ratio(apply / python.applyAsync)} (goal >= 1x)`);
console.log(`LoopPool(${CONCURRENCY}) map, chunksize 1: shoal ${perSecond(map)}  python ThreadPool map ${perSecond(python.map)}  ratio ${ratio(map / python.map)} (goal >= 1x)`);
console.log(`  beside p-queue (concurrency ${CONCURRENCY}), the same tasks: ${perSecond(pq)}  LoopPool applyAsync ${ratio(apply / pq)}`);
