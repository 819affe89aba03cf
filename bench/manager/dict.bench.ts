/**
 * Managed dict, set then get of each key, from a child process: shoal's Manager against Python's
 * `Manager().dict()` (goal: at least twice Python's pairs per second).
 */
import { Manager, Process, isMainModule, type DictProxy, type QueueProxy } from "../../src/multiprocessing/index.js";
import { pythonRate, report } from "./report.js";

const PAIRS = Number(process.env.PAIRS ?? 20_000);
/** Untimed pairs first, on both sides: the rate measured is the steady one (JIT-compiled here). */
const WARMUP = 5000;

export async function setGet(d: DictProxy<number, number>, n: number, out: QueueProxy<number>, warmup: number): Promise<void> {
  for (let i = 0; i < warmup; i++) {
    await d.set(i, i);
    await d.get(i);
  }
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    await d.set(i, i);
    await d.get(i);
  }
  await out.put(n / ((performance.now() - start) / 1000));
}

async function shoalRate(n: number): Promise<number> {
  await using manager = await Manager.start();
  const d = await manager.dict<number, number>();
  const out = await manager.Queue<number>();
  const child = new Process({ target: setGet, args: [d, n, out, WARMUP] });
  child.start();
  await child.join();
  return await out.get();
}

if (isMainModule(import.meta)) {
  const shoal = await shoalRate(PAIRS);
  const python = pythonRate("dict", PAIRS, WARMUP);
  report("managed dict set+get from a child process, pairs", shoal, python, 2);
}
