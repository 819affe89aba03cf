/**
 * The lesson's baozi shop: a producer thread makes 20 baozi at its own pace, a consumer thread
 * eats them as they come, and says so when the plate is empty. Both are real worker threads
 * sharing one queue. (The lesson's consumer gives up after 20 looks; this one keeps looking until
 * it has eaten all 20, so no baozi goes to waste.)
 * Run: node dist/examples/queue/baozi.js   (SHOAL_EXAMPLE_SCALE=0.01 runs it 100 times faster)
 */
import { isMainThread } from "node:worker_threads";
import { Queue } from "../../src/queue/index.js";
import { Thread, sleepSync, task } from "../../src/threading/index.js";
import { seconds } from "./scale.js";

const BAOZI = 20;

function randrange(n: number): number {
  return Math.floor(Math.random() * n);
}

export function Producer(q: Queue<number>, name: string): void {
  for (let count = 0; count < BAOZI; count++) {
    sleepSync(seconds(randrange(3)));
    q.putSync(count);
    console.log(`Producer ${name} has produced ${count} baozi..`);
  }
}

export function Consumer(q: Queue<number>, name: string): void {
  for (let eaten = 0; eaten < BAOZI; ) {
    sleepSync(seconds(randrange(4)));
    if (!q.empty()) {
      const data = q.getSync();
      console.log(data);
      console.log(`\x1b[32;1mConsumer ${name} has eat ${data} baozi...\x1b[0m`);
      eaten++;
    } else {
      console.log("-----no baozi anymore----");
    }
  }
}

if (isMainThread) {
  const q = new Queue<number>();
  // The workers import this module and call its exports (the code below runs only here).
  const p1 = new Thread({ target: task<typeof Producer>(import.meta.url, "Producer"), args: [q, "A"], worker: true });
  const c1 = new Thread({ target: task<typeof Consumer>(import.meta.url, "Consumer"), args: [q, "B"], worker: true });
  p1.start();
  c1.start();
  await Promise.all([p1.join(), c1.join()]);
}
