/**
 * With join(): the main thread waits for the thread (its id first), then prints 0..4.
 * Run: node dist/examples/threading/join.js
 */
import { Thread, sleep } from "../../src/threading/index.js";
import { seconds } from "./scale.js";

class MyThread extends Thread {
  constructor(readonly id: number) {
    super();
  }

  override async run(): Promise<void> {
    await sleep(seconds(10));
    console.log(this.id);
  }
}

const t1 = new MyThread(999);
t1.start();
await t1.join();
for (let i = 0; i < 5; i++) console.log(i);
