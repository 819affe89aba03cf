/** The runner's queues are shoal/queue's: hosts in, events out (the lesson's producer/consumer). */
export { Queue } from "../queue/index.js";
