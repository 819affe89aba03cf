/**
 * Pool (child processes) against Python's multiprocessing.Pool, side by side in one run.
 *
 * Goals (issue 5), 2 workers each:
 * - 100,000 trivial applyAsync tasks submitted at once: >= 5x Python's apply_async;
 * - map over 1,000,000 items with the default chunksize: >= Python's Pool.map;
 * - imapUnordered with chunksize 1: >= 2x Python's imap_unordered.
 *
 * SHOAL_BENCH_PROCESSES, SHOAL_BENCH_RUNS, SHOAL_BENCH_TASKS scale it.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Pool } from "../../src/multiprocessing/pool/index.js";
import { square } from "./tasks.js";
import { best, perSecond, ratio } from "./report.js";
import { PYTHON } from "../python.js";

const PROCESSES = Number(process.env.SHOAL_BENCH_PROCESSES ?? 2);
const RUNS = Number(process.env.SHOAL_BENCH_RUNS ?? 3);
const TASKS = Number(process.env.SHOAL_BENCH_TASKS ?? 100_000);
const ITEMS = 1_000_000;
const IMAP_ITEMS = Math.min(TASKS, 50_000);
const ANCHOR = fileURLToPath(new URL("../../../bench/pool/anchor_pool.py", import.meta.url));

async function shoal(): Promise<{ applyAsync: number; map: number; imapUnordered: number }> {
  const pool = new Pool({ processes: PROCESSES });
  try {
    await pool.map(square, Array.from({ length: 1000 }, (_, i) => i));
    const applyAsync = await best(RUNS, async () => {
      const t = performance.now();
      const results = [];
      for (let i = 0; i < TASKS; i++) results.push(pool.applyAsync(square, [i]));
      for (const r of results) await r;
      return TASKS / ((performance.now() - t) / 1000);
    });
    const data = Array.from({ length: ITEMS }, (_, i) => i);
    const map = await best(RUNS, async () => {
      const t = performance.now();
      await pool.map(square, data);
      return ITEMS / ((performance.now() - t) / 1000);
    });
    const imapUnordered = await best(RUNS, async () => {
      const t = performance.now();
      let n = 0;
      for await (const _ of pool.imapUnordered(square, range(IMAP_ITEMS), { chunksize: 1 })) n++;
      return n / ((performance.now() - t) / 1000);
    });
    return { applyAsync, map, imapUnordered };
  } finally {
    await pool.terminate();
  }
}

function* range(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}

function python(): { apply_async: number; map: number; imap_unordered: number } {
  const out = execFileSync(PYTHON, [ANCHOR, String(PROCESSES), String(RUNS), String(TASKS), String(ITEMS), String(IMAP_ITEMS)], { encoding: "utf8" });
  return JSON.parse(out) as { apply_async: number; map: number; imap_unordered: number };
}

const ours = await shoal();
const theirs = python();
console.log(`Pool(${PROCESSES}) ${TASKS} trivial applyAsync at once: shoal ${perSecond(ours.applyAsync)}  python apply_async ${perSecond(theirs.apply_async)}  ratio ${ratio(ours.applyAsync / theirs.apply_async)} (goal >= 5x)`);
console.log(`Pool(${PROCESSES}) map over ${ITEMS} items, default chunksize: shoal ${perSecond(ours.map)}  python Pool.map ${perSecond(theirs.map)}  ratio ${ratio(ours.map / theirs.map)} (goal >= 1x)`);
console.log(`Pool(${PROCESSES}) imapUnordered chunksize 1, ${IMAP_ITEMS} items: shoal ${perSecond(ours.imapUnordered)}  python imap_unordered ${perSecond(theirs.imap_unordered)}  ratio ${ratio(ours.imapUnordered / theirs.imap_unordered)} (goal >= 2x)`);
