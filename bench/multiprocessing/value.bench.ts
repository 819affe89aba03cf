/**
 * A shared counter incremented by 4 workers: the "worker" context's Value (threads, shared memory)
 * against Python's multiprocessing Value (processes, shared memory), each with its lock, in one run;
 * also shoal's lock-free `add`. The workers are started before the clock starts.
 *
 *   node dist/bench/multiprocessing/value.bench.js [INCREMENTS_PER_WORKER]
 */
import { getContext } from "../../src/multiprocessing/index.js";
import { Event } from "../../src/threading/index.js";
import { python, report } from "./anchor.js";
import { incrementAtomic, incrementLocked } from "./value-targets.js";

const WORKERS = 4;
const N = Number(process.argv[2] ?? 200_000);
const ctx = getContext("worker");

async function shoal(target: typeof incrementLocked): Promise<number> {
  const v = ctx.Value("i", 0);
  const go = new Event();
  const readies = Array.from({ length: WORKERS }, () => new Event());
  const ps = readies.map((ready) => new ctx.Process({ target, args: [v, N, ready, go] }));
  for (const p of ps) p.start();
  for (const ready of readies) await ready.wait();
  const t0 = performance.now();
  go.set();
  for (const p of ps) await p.join();
  const elapsed = (performance.now() - t0) / 1000;
  if (v.value !== WORKERS * N) throw new Error(`lost updates: ${v.value} of ${WORKERS * N}`);
  return (WORKERS * N) / elapsed;
}

const best = async (target: typeof incrementLocked): Promise<number> => Math.max(await shoal(target), await shoal(target), await shoal(target));
const locked = await best(incrementLocked);
const atomic = await best(incrementAtomic);
const anchor = Math.max(...[0, 1, 2].map(() => python<{ incrementsPerSecond: number }>("value", WORKERS, N).incrementsPerSecond));
report(`Value += 1 under its lock, ${WORKERS} workers x ${N}`, locked, anchor, "/s", "report");
report(`Value.add(1), lock-free, against Python's locked +=`, atomic, anchor, "/s", "report");
