/**
 * Managed Queue, one producer process and one consumer process, 100,000 items: shoal's Manager
 * against Python's `Manager().Queue()` (goal: at least Python's items per second).
 */
import { Manager, Process, isMainModule, type QueueProxy } from "../../src/multiprocessing/index.js";
import { pythonRate, report } from "./report.js";

const ITEMS = Number(process.env.ITEMS ?? 100_000);

export async function producer(q: QueueProxy<number | null>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await q.put(i);
  await q.put(null);
}

export async function consumer(q: QueueProxy<number | null>, out: QueueProxy<number>): Promise<void> {
  while ((await q.get()) !== null);
  await out.put(Date.now());
}

async function shoalRate(n: number): Promise<number> {
  await using manager = await Manager.start();
  const q = await manager.Queue<number | null>();
  const out = await manager.Queue<number>();
  const c = new Process({ target: consumer, args: [q, out] });
  c.start();
  const start = Date.now();
  const p = new Process({ target: producer, args: [q, n] });
  p.start();
  await Promise.all([p.join(), c.join()]);
  return n / (((await out.get()) - start) / 1000);
}

if (isMainModule(import.meta)) {
  const shoal = await shoalRate(ITEMS);
  const python = pythonRate("queue", ITEMS);
  report("managed Queue, producer process -> consumer process, items", shoal, python, 1);
}
