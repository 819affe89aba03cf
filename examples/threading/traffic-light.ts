/**
 * The traffic light: one thread switches the light (an Event: set = green), cars check it.
 * The lesson's loops are endless; here the light runs `CYCLES` full cycles (argv[2], default 2)
 * and then stops the cars.
 * Run: node dist/examples/threading/traffic-light.js [cycles]
 */
import { Event, Thread, sleep } from "../../src/threading/index.js";
import { seconds } from "./scale.js";

const CYCLES = Number(process.argv[2] ?? 2);
const event = new Event(); // set: green light
const stop = new Event(); // ends the example

async function light(): Promise<void> {
  if (!event.isSet()) event.set(); // green: wait() does not block
  let count = 0;
  let cycles = 0;
  while (cycles < CYCLES) {
    if (count < 10) console.log("\x1b[42;1m--green light on---\x1b[0m");
    else if (count < 13) console.log("\x1b[43;1m--yellow light on---\x1b[0m");
    else if (count < 20) {
      if (event.isSet()) event.clear();
      console.log("\x1b[41;1m--red light on---\x1b[0m");
    } else {
      count = 0;
      cycles++;
      event.set(); // green again
    }
    await sleep(seconds(1));
    count += 1;
  }
  stop.set();
}

async function car(n: number): Promise<void> {
  while (!stop.isSet()) {
    await sleep(seconds(Math.floor(Math.random() * 10)));
    if (event.isSet()) console.log(`car [${n}] is running..`);
    else console.log(`car [${n}] is waiting for the red light..`);
  }
}

const lightThread = new Thread({ target: light });
lightThread.start();
for (let i = 0; i < 3; i++) {
  const t = new Thread({ target: car, args: [i] });
  t.start();
}
