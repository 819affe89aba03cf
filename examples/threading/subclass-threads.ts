/**
 * A Thread subclass overriding run() (the lesson's `class MyThread(threading.Thread)`).
 * Run: node dist/examples/threading/subclass-threads.js
 */
import { Thread, sleep } from "../../src/threading/index.js";
import { seconds } from "./scale.js";

class MyThread extends Thread {
  constructor(readonly num: number) {
    super();
  }

  override async run(): Promise<void> {
    console.log(`running on number:${this.num}`);
    await sleep(seconds(3));
  }
}

const t1 = new MyThread(1);
const t2 = new MyThread(2);
t1.start();
t2.start();
