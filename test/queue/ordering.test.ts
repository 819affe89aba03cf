import { test } from "node:test";
import assert from "node:assert/strict";
import { Empty, LifoQueue, PriorityQueue, pythonCompare, Queue, SimpleQueue } from "../../src/queue/index.js";

async function drain<T>(q: Queue<T>): Promise<T[]> {
  const items: T[] = [];
  while (!q.empty()) items.push(await q.get());
  return items;
}

test("LifoQueue returns the newest item first", async () => {
  const q = new LifoQueue<number>();
  for (let i = 0; i < 5; i++) await q.put(i);
  assert.deepEqual(await drain(q), [4, 3, 2, 1, 0]);
});

test("PriorityQueue returns the lowest first: numbers, bigints, strings", async () => {
  const numbers = new PriorityQueue<number | bigint>();
  for (const n of [5, 1n, 3.5, -2, 10n ** 30n, 0]) await numbers.put(n);
  assert.deepEqual(await drain(numbers), [-2, 0, 1n, 3.5, 5, 10n ** 30n]);
  const strings = new PriorityQueue<string>();
  for (const s of ["pear", "apple", "Zebra", "apples"]) await strings.put(s);
  assert.deepEqual(await drain(strings), ["Zebra", "apple", "apples", "pear"]);
});

test("PriorityQueue compares arrays as Python compares tuples", async () => {
  const q = new PriorityQueue<unknown[]>();
  for (const item of [[2, "b"], [1, "z"], [1, "a"], [1], [[0, 1], "x"], [1, "a", 0]]) await q.put(item);
  // [[0, 1], "x"] cannot be compared with the numbers; it ties with them and keeps its insertion order.
  const out = await drain(q);
  assert.deepEqual(
    out.filter((item) => typeof item[0] === "number"),
    [[1], [1, "a"], [1, "a", 0], [1, "z"], [2, "b"]],
  );
});

test("entries of equal priority come out in insertion order", async () => {
  const q = new PriorityQueue<[number, { id: number }]>();
  const jobs = Array.from({ length: 50 }, (_, id) => [id % 3, { id }] as [number, { id: number }]);
  for (const job of jobs) await q.put(job);
  const out = await drain(q);
  const expected = [...jobs].sort((a, b) => a[0] - b[0] || a[1].id - b[1].id);
  assert.deepEqual(out, expected);
  assert.equal(out[0], expected.find((j) => j === out[0])); // the very objects
});

test("a key function gives the priority of items that are not ordered themselves", async () => {
  const q = new PriorityQueue<{ name: string; priority: number }>(0, { key: (job) => job.priority });
  const jobs = [
    { name: "low", priority: 9 },
    { name: "urgent", priority: 0 },
    { name: "normal", priority: 5 },
    { name: "urgent too", priority: 0 },
  ];
  for (const job of jobs) await q.put(job);
  assert.deepEqual((await drain(q)).map((j) => j.name), ["urgent", "urgent too", "normal", "low"]);
  assert.throws(() => new PriorityQueue(0, { key: 3 as unknown as () => number }), TypeError);
});

test("a comparator of its own orders the queue; ties still in insertion order", async () => {
  const q = new PriorityQueue<{ name: string; size: number }>(0, { compare: (a, b) => b.size - a.size }); // largest first
  for (const [name, size] of [["a", 1], ["b", 3], ["c", 2], ["d", 3]] as const) await q.put({ name, size });
  assert.deepEqual((await drain(q)).map((j) => j.name), ["b", "d", "c", "a"]);
});

test("PriorityQueue with maxsize blocks like Queue", async () => {
  const q = new PriorityQueue<number>(2);
  await q.put(3);
  await q.put(1);
  await assert.rejects(q.put(2, { timeout: 5 }));
  assert.equal(await q.get(), 1);
  await q.put(2);
  assert.deepEqual(await drain(q), [2, 3]);
});

test("pythonCompare", () => {
  assert.equal(pythonCompare(1, 2) < 0, true);
  assert.equal(pythonCompare(2n, 1.5) > 0, true);
  assert.equal(pythonCompare("b", "a") > 0, true);
  assert.equal(pythonCompare([1, 2], [1, 2, 0]) < 0, true);
  assert.equal(pythonCompare([1, "b"], [1, "a"]) > 0, true);
  assert.equal(pythonCompare({}, 1), 0);
  assert.equal(pythonCompare([1, {}], [1, 2]), 0);
});

test("SimpleQueue: put never waits, get waits, getNowait throws Empty", async () => {
  const q = new SimpleQueue<string>();
  assert.throws(() => q.getNowait(), Empty);
  const pending = q.get();
  q.put("a");
  q.putNowait("b");
  assert.equal(await pending, "a");
  assert.equal(q.qsize(), 1);
  assert.equal(q.getNowait(), "b");
  assert.equal(q.empty(), true);
  await assert.rejects(q.get({ timeout: 5 }), Empty);
  const objects = new SimpleQueue<object>();
  const obj = {};
  objects.put(obj);
  for await (const item of objects) {
    assert.equal(item, obj);
    break;
  }
});
