/**
 * queue.Queue: first in, first out.
 * Run: node dist/examples/queue/fifo.js
 */
import { Queue } from "../../src/queue/index.js";

const q = new Queue<number>(); // maxsize 0: unbounded
for (let i = 0; i < 5; i++) await q.put(i);
while (!q.empty()) console.log(await q.get()); // 0 1 2 3 4
