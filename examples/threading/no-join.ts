/**
 * Without join(): the main thread prints 0..4 at once; the thread prints its id 10 s later.
 * Run: node dist/examples/threading/no-join.js
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

const t = new MyThread(999);
t.start();
for (let i = 0; i < 5; i++) console.log(i);
