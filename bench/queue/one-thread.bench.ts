/**
 * put+get pairs in one thread, on the event loop: `await q.put(x); await q.get()`, against Python's
 * queue.Queue `q.put(x); q.get()` in one thread. Goal: at least 10x. The two take turns, three
 * runs each, and the best run of each counts (the machine may be shared).
 *
 * A machine check beside it: the same loop awaiting two resolved promises and nothing else, the
 * most any awaited put and get can reach here (each await is a turn of the microtask queue).
 */
import { Queue } from "../../src/queue/index.js";
import { python, rate, report } from "./anchor.js";

const PAIRS = Number(process.env.PAIRS ?? 5_000_000);

async function shoal(): Promise<number> {
  const q = new Queue<object>();
  const item = {};
  const started = performance.now();
  for (let i = 0; i < PAIRS; i++) {
    await q.put(item);
    await q.get();
  }
  return PAIRS / ((performance.now() - started) / 1000);
}

async function shoalNowait(): Promise<number> {
  const q = new Queue<object>();
  const item = {};
  const started = performance.now();
  for (let i = 0; i < PAIRS; i++) {
    q.putNowait(item);
    q.getNowait();
  }
  return PAIRS / ((performance.now() - started) / 1000);
}

async function bareAwaits(): Promise<number> {
  const resolved = Promise.resolve();
  const item = {};
  const started = performance.now();
  for (let i = 0; i < PAIRS; i++) {
    await resolved;
    await Promise.resolve(item);
  }
  return PAIRS / ((performance.now() - started) / 1000);
}

let anchor = 0;
let mine = 0;
let nowait = 0;
let floor = 0;
for (let run = 0; run < 3; run++) {
  anchor = Math.max(anchor, python<{ pairsPerSecond: number }>("one-thread", Math.min(PAIRS, 1_000_000)).pairsPerSecond);
  mine = Math.max(mine, await shoal());
  nowait = Math.max(nowait, await shoalNowait());
  floor = Math.max(floor, await bareAwaits());
}
report("queue put+get, one thread (await put; await get)", mine, "python queue.Queue", anchor, " pairs/s", 10);
console.log(`  (machine check, two bare awaits a pair and no queue: ${rate(floor)} pairs/s, ${(floor / anchor).toFixed(2)}x python; shoal reaches ${((mine / floor) * 100).toFixed(0)}% of it)`);
report("queue putNowait+getNowait, one thread", nowait, "python queue.Queue", anchor, " pairs/s", 10);
