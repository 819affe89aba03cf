/**
 * 50 threads started, then all joined: the main thread waits about as long as one of them
 * (they sleep at the same time), not 50 times as long.
 * Run: node dist/examples/threading/join-fifty.js
 */
import { Thread, sleep } from "../../src/threading/index.js";
import { seconds } from "./scale.js";

async function run(n: number): Promise<void> {
  console.log("[%s]------running-----", n);
  await sleep(seconds(2));
  console.log("----done----");
}

const threads: Thread<[number]>[] = [];
for (let i = 0; i < 50; i++) {
  const t = new Thread({ target: run, args: [i] });
  t.start();
  threads.push(t);
}

const startTime = performance.now();
for (const t of threads) await t.join();
console.log("main over....time:%s", ((performance.now() - startTime) / 1000).toFixed(3));
