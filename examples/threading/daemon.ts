/**
 * A daemon thread does not keep the process alive: the main thread prints its line and the
 * process exits at once, without "This is ...". Pass `--no-daemon` to see the other case: the
 * process waits 5 s for the thread.
 * Run: node dist/examples/threading/daemon.js [--no-daemon]
 */
import { Thread, sleep } from "../../src/threading/index.js";
import { seconds } from "./scale.js";

class MyThread extends Thread {
  override async run(): Promise<void> {
    await sleep(seconds(5));
    console.log("This is", this.name);
  }
}

const t1 = new MyThread();
t1.daemon = !process.argv.includes("--no-daemon");
t1.start();
console.log("I am the father thread.");
