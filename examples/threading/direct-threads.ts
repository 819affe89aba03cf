/**
 * Threads started directly with a target (the lesson's `threading.Thread(target=sayhi, args=(1,))`).
 * Run: node dist/examples/threading/direct-threads.js
 */
import { Thread, sleep } from "../../src/threading/index.js";
import { seconds } from "./scale.js";

async function sayhi(num: number): Promise<void> {
  console.log(`running on number:${num}`);
  await sleep(seconds(3));
}

const t1 = new Thread({ target: sayhi, args: [1] });
const t2 = new Thread({ target: sayhi, args: [2] });
t1.start();
t2.start();
console.log(t1.name);
console.log(t2.name);
