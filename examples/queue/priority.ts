/**
 * queue.PriorityQueue: the lowest entry first. A typical entry is a `[priority, data]` pair,
 * compared like Python's `(priority_number, data)` tuples.
 * Run: node dist/examples/queue/priority.js
 */
import { PriorityQueue } from "../../src/queue/index.js";

const q = new PriorityQueue<[number, string]>();
await q.put([3, "write the report"]);
await q.put([1, "fix the outage"]);
await q.put([2, "answer the mail"]);
await q.put([1, "call the customer"]); // same priority: the next element decides, as in a Python tuple
while (!q.empty()) {
  const [priority, task] = await q.get();
  console.log(priority, task);
}
