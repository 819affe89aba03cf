/**
 * queue.LifoQueue: last in, first out.
 * Run: node dist/examples/queue/lifo.js
 */
import { LifoQueue } from "../../src/queue/index.js";

const q = new LifoQueue<number>();
for (let i = 0; i < 5; i++) await q.put(i);
while (!q.empty()) console.log(await q.get()); // 4 3 2 1 0
