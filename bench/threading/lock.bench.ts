/**
 * Lock on the event loop against async-mutex, in one run.
 *
 * Goals (issue 2): uncontended acquire+release >= 5x async-mutex's runExclusive; 100 async
 * waiters handing one lock around >= 1.5x async-mutex.
 */
import { Mutex } from "async-mutex";
import { Lock } from "../../src/threading/index.js";
import { line, measure } from "./report.js";

const N = Number(process.env.SHOAL_BENCH_OPS ?? 1_000_000);
const WAITERS = 100;

async function shoalUncontended(n: number): Promise<void> {
  const lock = new Lock();
  for (let i = 0; i < n; i++) {
    await lock.acquire();
    lock.release();
  }
}

async function mutexUncontended(n: number): Promise<void> {
  const mutex = new Mutex();
  for (let i = 0; i < n; i++) await mutex.runExclusive(() => undefined);
}

async function mutexAcquireRelease(n: number): Promise<void> {
  const mutex = new Mutex();
  for (let i = 0; i < n; i++) {
    const release = await mutex.acquire();
    release();
  }
}

/** `WAITERS` async functions take turns on one lock until `n` critical sections have run. */
async function shoalWaiters(n: number): Promise<void> {
  const lock = new Lock();
  let done = 0;
  await Promise.all(
    Array.from({ length: WAITERS }, async () => {
      while (done < n) {
        await lock.acquire();
        done++;
        lock.release();
      }
    }),
  );
}

async function mutexWaiters(n: number): Promise<void> {
  const mutex = new Mutex();
  let done = 0;
  await Promise.all(
    Array.from({ length: WAITERS }, async () => {
      while (done < n) await mutex.runExclusive(() => void done++);
    }),
  );
}

// Warm both up, then measure alternately and keep each side's best of three.
await shoalUncontended(N / 10);
await mutexUncontended(N / 10);
const best = async (fn: (n: number) => Promise<void>, n: number): Promise<number> => Math.max(await measure(n, fn), await measure(n, fn), await measure(n, fn));
const ours = await best(shoalUncontended, N);
const theirs = await best(mutexUncontended, N / 4);
const theirsPair = await best(mutexAcquireRelease, N / 4);
console.log(line("Lock acquire+release, uncontended, event loop", "shoal", ours, "async-mutex runExclusive", theirs, 5, "pairs"));
console.log(line("Lock acquire+release, uncontended, event loop", "shoal", ours, "async-mutex acquire()+release()", theirsPair, 5, "pairs"));
const oursWaiting = await best(shoalWaiters, N / 4);
const theirsWaiting = await best(mutexWaiters, N / 10);
console.log(line(`Lock handed around ${WAITERS} async waiters`, "shoal", oursWaiting, "async-mutex runExclusive", theirsWaiting, 1.5, "pairs"));
