/**
 * The door and the staff: the door is a thread that closes 3 s after it opens; staff swipe their
 * card (set the Event) when they find it closed. The lesson's door loops forever; here it is a
 * daemon thread, so the process ends once every staff member has passed.
 * Run: node dist/examples/threading/door.js
 */
import { Event, Thread, sleep } from "../../src/threading/index.js";
import { seconds } from "./scale.js";

const doorSwipingEvent = new Event();

async function door(): Promise<void> {
  let doorOpenTimeCounter = 0;
  for (;;) {
    if (doorSwipingEvent.isSet()) {
      console.log("\x1b[32;1mdoor opening....\x1b[0m");
      doorOpenTimeCounter += 1;
    } else {
      console.log("\x1b[31;1mdoor closed...., swipe to open.\x1b[0m");
      doorOpenTimeCounter = 0; // reset the counter
      await doorSwipingEvent.wait();
    }
    if (doorOpenTimeCounter > 3) {
      // Open for 3 s: close it. (The lesson does not reset the counter here, so someone swiping
      // right after the door closes finds it closed again at once, possibly forever.)
      doorSwipingEvent.clear();
      doorOpenTimeCounter = 0;
    }
    await sleep(seconds(0.5));
  }
}

async function staff(n: number): Promise<void> {
  console.log(`staff [${n}] is comming...`);
  for (;;) {
    if (doorSwipingEvent.isSet()) {
      console.log("\x1b[34;1mdoor is opened, passing.....\x1b[0m");
      break;
    }
    console.log(`staff [${n}] sees door got closed, swipping the card.....`);
    doorSwipingEvent.set();
    console.log("after set ", doorSwipingEvent.isSet());
    await sleep(seconds(0.5));
  }
}

const doorThread = new Thread({ target: door, daemon: true });
doorThread.start();
for (let i = 0; i < 5; i++) {
  const p = new Thread({ target: staff, args: [i] });
  await sleep(seconds(Math.floor(Math.random() * 3)));
  p.start();
}
