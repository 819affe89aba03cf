/**
 * 100 threads decrement one shared global under a Lock; the final value is 0.
 * Run: node dist/examples/threading/counter-lock.js
 */
import { Lock, Thread, sleep } from "../../src/threading/index.js";
import { seconds } from "./scale.js";

let num = 100; // the shared variable
const lock = new Lock(); // the global lock

async function addNum(): Promise<void> {
  console.log("--get num:", num);
  await sleep(seconds(1));
  await lock.acquire(); // lock before changing the data
  num -= 1;
  lock.release(); // release after the change
}

const threadList: Thread[] = [];
for (let i = 0; i < 100; i++) {
  const t = new Thread({ target: addNum });
  t.start();
  threadList.push(t);
}
for (const t of threadList) await t.join(); // wait for every thread
console.log("final num:", num);
