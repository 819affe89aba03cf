/**
 * 1 MiB items from a producer thread to the consumer (main) thread: MB/s through a shared Queue,
 * beside a worker's postMessage of the same bytes, copied (structured clone) and transferred.
 */
import { isMainThread, Worker } from "node:worker_threads";
import { Queue } from "../../src/queue/index.js";
import { Thread, task } from "../../src/threading/index.js";

const ITEMS = Number(process.env.ITEMS ?? 300);
const SIZE = 1024 * 1024;

/** The producer thread: puts the same 1 MiB buffer `n` times (each put copies it). */
export async function produce(q: Queue<Uint8Array>, n: number, size: number): Promise<void> {
  const buffer = new Uint8Array(size).fill(7);
  for (let i = 0; i < n; i++) await q.put(buffer);
}

async function shoal(maxsize: number): Promise<number> {
  const q = new Queue<Uint8Array>(maxsize);
  const thread = new Thread({ target: task<typeof produce>(import.meta.url, "produce"), args: [q, ITEMS, SIZE], worker: true });
  thread.start();
  await q.get();
  const started = performance.now();
  for (let i = 1; i < ITEMS; i++) {
    const item = await q.get();
    if (item.length !== SIZE) throw new Error("short item");
  }
  const elapsed = performance.now() - started;
  await thread.join();
  return ((ITEMS - 1) * (SIZE / 2 ** 20)) / (elapsed / 1000);
}

async function postMessage(transfer: boolean): Promise<number> {
  const source = `
    const { parentPort, workerData } = require("node:worker_threads");
    const { n, size, transfer } = workerData;
    const shared = new Uint8Array(size).fill(7);
    for (let i = 0; i < n; i++) {
      if (transfer) { const b = new Uint8Array(size); b.set(shared); parentPort.postMessage(b, [b.buffer]); }
      else parentPort.postMessage(shared);
    }`;
  const worker = new Worker(source, { eval: true, workerData: { n: ITEMS, size: SIZE, transfer } });
  return new Promise((resolve) => {
    let received = 0;
    let started = 0;
    worker.on("message", (item: Uint8Array) => {
      if (item.length !== SIZE) throw new Error("short item");
      if (received++ === 0) started = performance.now();
      if (received === ITEMS) {
        resolve(((ITEMS - 1) * (SIZE / 2 ** 20)) / ((performance.now() - started) / 1000));
        void worker.terminate();
      }
    });
  });
}

if (isMainThread) {
  const copied = await postMessage(false);
  const transferred = await postMessage(true);
  for (const maxsize of [0, 16]) {
    const mine = await shoal(maxsize);
    console.log(
      `queue 1 MiB items, producer thread -> consumer thread, ${maxsize === 0 ? "unbounded" : `maxsize ${maxsize}`}: ` +
        `shoal ${mine.toFixed(0)} MB/s  postMessage copy ${copied.toFixed(0)} MB/s (ratio ${(mine / copied).toFixed(2)}x)  ` +
        `postMessage transfer ${transferred.toFixed(0)} MB/s (ratio ${(mine / transferred).toFixed(2)}x)`,
    );
  }
}
