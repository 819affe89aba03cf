/**
 * 1,000,000 small integers from a producer thread to the consumer (main) thread, unbounded and with
 * maxsize 1000, against Python's queue.Queue between two threads and a bare worker postMessage
 * stream of the same items. Goals: at least 3x Python, and at least the postMessage stream.
 * Timed in the consumer from its first item to its last.
 */
import { isMainThread, Worker } from "node:worker_threads";
import { Queue } from "../../src/queue/index.js";
import { Thread, task } from "../../src/threading/index.js";
import { python, report } from "./anchor.js";

const ITEMS = Number(process.env.ITEMS ?? 1_000_000);

/** The producer thread: async puts. */
export async function produce(q: Queue<number>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await q.put(i);
}

/** The producer thread: blocking putSync. */
export function produceSync(q: Queue<number>, n: number): void {
  for (let i = 0; i < n; i++) q.putSync(i);
}

async function shoal(maxsize: number, producer: "produce" | "produceSync"): Promise<number> {
  const q = new Queue<number>(maxsize);
  const target = producer === "produce" ? task<typeof produce>(import.meta.url, "produce") : task<typeof produceSync>(import.meta.url, "produceSync");
  const thread = new Thread({ target, args: [q, ITEMS], worker: true });
  thread.start();
  if ((await q.get()) !== 0) throw new Error("out of order");
  const started = performance.now();
  for (let i = 1; i < ITEMS; i++) {
    if ((await q.get()) !== i) throw new Error("out of order");
  }
  const elapsed = performance.now() - started;
  await thread.join();
  return ((ITEMS - 1) / elapsed) * 1000;
}

async function postMessageStream(): Promise<number> {
  const worker = new Worker(`const { parentPort, workerData } = require("node:worker_threads"); for (let i = 0; i < workerData; i++) parentPort.postMessage(i);`, {
    eval: true,
    workerData: ITEMS,
  });
  return new Promise((resolve) => {
    let received = 0;
    let started = 0;
    worker.on("message", () => {
      if (received++ === 0) started = performance.now();
      if (received === ITEMS) {
        resolve(((ITEMS - 1) / (performance.now() - started)) * 1000);
        void worker.terminate();
      }
    });
  });
}

if (isMainThread) {
  const stream = await postMessageStream();
  for (const maxsize of [0, 1000]) {
    const anchor = python<{ itemsPerSecond: number }>("two-threads", ITEMS, maxsize).itemsPerSecond;
    const label = `queue ${ITEMS} ints, producer thread -> consumer thread, ${maxsize === 0 ? "unbounded" : `maxsize ${maxsize}`}`;
    const asyncRate = await shoal(maxsize, "produce");
    report(`${label} (await put / await get)`, asyncRate, "python queue.Queue", anchor, " items/s", 3);
    report(`${label} (await put / await get)`, asyncRate, "postMessage stream", stream, " items/s", 1);
    const syncRate = await shoal(maxsize, "produceSync");
    report(`${label} (putSync / await get)`, syncRate, "python queue.Queue", anchor, " items/s", 3);
  }
}
