/**
 * The lesson's unlocked counter. On one event loop `num -= 1` cannot be interrupted (threads
 * switch only at await), so it ends at 0 even without a lock; the read-sleep-write version below
 * shows the lost update a lock prevents. Run: node dist/examples/threading/counter-no-lock.js
 */
import { Thread, sleep } from "../../src/threading/index.js";
import { seconds } from "./scale.js";

let num = 100;

async function addNum(): Promise<void> {
  console.log("--get num:", num);
  await sleep(seconds(1));
  num -= 1; // no await inside: safe on one event loop
}

let racy = 100;

async function addRacy(): Promise<void> {
  const seen = racy; // read...
  await sleep(seconds(0.01)); // ...switch to other threads...
  racy = seen - 1; // ...write back a stale value
}

const threads = [...Array.from({ length: 100 }, () => new Thread({ target: addNum })), ...Array.from({ length: 100 }, () => new Thread({ target: addRacy }))];
for (const t of threads) t.start();
for (const t of threads) await t.join();
console.log("final num:", num);
console.log("final racy num (read, await, write, no lock):", racy);
