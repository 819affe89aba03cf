/**
 * RLock: run3 holds the lock and calls run1 and run2, which take it again. With a plain Lock this
 * would deadlock; with an RLock the owner may re-acquire.
 * Run: node dist/examples/threading/rlock.js
 */
import { RLock, Thread, activeCount, sleep } from "../../src/threading/index.js";
import { seconds } from "./scale.js";

let num = 0;
let num2 = 0;
const lock = new RLock();

async function run1(): Promise<number> {
  console.log("grab the first part data");
  await lock.acquire();
  num += 1;
  lock.release();
  return num;
}

async function run2(): Promise<number> {
  console.log("grab the second part data");
  await lock.acquire();
  num2 += 1;
  lock.release();
  return num2;
}

async function run3(): Promise<void> {
  await lock.acquire();
  const res = await run1();
  console.log("--------between run1 and run2-----");
  const res2 = await run2();
  lock.release();
  console.log(res, res2);
}

for (let i = 0; i < 10; i++) {
  const t = new Thread({ target: run3 });
  t.start();
}
// The lesson busy-waits on active_count(); on an event loop the waiting loop must yield.
while (activeCount() !== 1) {
  console.log(activeCount());
  await sleep(seconds(0.1));
}
console.log("----all threads done---");
console.log(num, num2);
