/**
 * BoundedSemaphore(5): 20 threads, at most 5 inside at any moment.
 * Run: node dist/examples/threading/bounded-semaphore.js
 */
import { BoundedSemaphore, Thread, activeCount, sleep } from "../../src/threading/index.js";
import { seconds } from "./scale.js";

const semaphore = new BoundedSemaphore(5); // at most 5 threads at once
let inside = 0;

async function run(n: number): Promise<void> {
  await semaphore.acquire();
  inside++;
  await sleep(seconds(1));
  console.log(`run the thread: ${n} (inside: ${inside})\n`);
  inside--;
  semaphore.release();
}

for (let i = 0; i < 20; i++) {
  const t = new Thread({ target: run, args: [i] });
  t.start();
}
while (activeCount() !== 1) await sleep(seconds(0.05));
console.log("----all threads done---");
