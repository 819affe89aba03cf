/**
 * Process-shared Queue, one producer process to one consumer process, 200,000 small items, against
 * Python's multiprocessing.Queue (spawn). Timed in the consumer from its first item to its last.
 */
import { Process, Queue } from "../../src/multiprocessing/index.js";
import { python, report } from "./anchor.js";

const ITEMS = Number(process.env.ITEMS ?? 200_000);

async function shoal(): Promise<number> {
  const q = new Queue<number>();
  const out = new Queue<number>();
  const consumer = new Process({
    target: async (q: Queue<number>, n: number, out: Queue<number>) => {
      await q.get();
      const started = performance.now();
      for (let i = 1; i < n; i++) await q.get();
      await out.put(performance.now() - started);
    },
    args: [q, ITEMS, out],
  });
  const producer = new Process({
    target: async (q: Queue<number>, n: number) => {
      for (let i = 0; i < n; i++) await q.put(i);
    },
    args: [q, ITEMS],
  });
  consumer.start();
  producer.start();
  const elapsed = await out.get();
  await producer.join();
  await consumer.join();
  return ((ITEMS - 1) / elapsed) * 1000;
}

const mine = await shoal();
const anchor = python<{ itemsPerSecond: number }>("queue", ITEMS);
report(`Queue, ${ITEMS} small items, producer process -> consumer process`, mine, anchor.itemsPerSecond, " items/s", ">= 1x");
