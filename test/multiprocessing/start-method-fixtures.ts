/** Targets of the start-method tests, in a module of their own: a worker imports it to run them. */
import type { Queue } from "../../src/queue/index.js";
import { currentProcess, parentProcess } from "../../src/multiprocessing/index.js";

/** Puts what the running process knows of itself: its name, pid and parent's name. */
export function reportIdentity(q: Queue<unknown>): void {
  q.putNowait([currentProcess().name, currentProcess().pid, parentProcess()?.name]);
}
