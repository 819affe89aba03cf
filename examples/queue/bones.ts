/**
 * The lesson's first producer/consumer: a producer thread puts ten bones and waits (`join`) until
 * every one has been taken and marked done (`taskDone`); the consumer takes them while any are left.
 * Run: node dist/examples/queue/bones.js
 */
import { Queue } from "../../src/queue/index.js";
import { Thread } from "../../src/threading/index.js";

const q = new Queue<string>();

async function producer(): Promise<void> {
  for (let i = 0; i < 10; i++) q.putNowait(`骨头 ${i}`); // an unbounded queue never makes put wait
  console.log("开始等待所有的骨头被取走...");
  await q.join();
  console.log("所有的骨头被取完了...");
}

async function consumer(n: string): Promise<void> {
  while (q.qsize() > 0) {
    console.log(`${n} 取到`, await q.get());
    q.taskDone(); // tell the queue this task is done
  }
}

const p = new Thread({ target: producer });
p.start();
await consumer("李闯");
await p.join();
