import { test } from "node:test";
import assert from "node:assert/strict";
import { Deque } from "../../src/queue/deque.js";
import { Heap } from "../../src/queue/heap.js";
import { decodeItem, encodeItem, encodePriority } from "../../src/queue/item-codec.js";
import { Encoded, SharedStore } from "../../src/queue/shared-store.js";
import { pythonCompare } from "../../src/queue/compare.js";

const enc = (value: unknown, priority = false): Encoded => new Encoded(encodeItem(value, "test"), priority ? encodePriority(value) : undefined);
const dec = (entry: unknown): unknown => (entry instanceof Encoded ? decodeItem(entry.bytes) : entry);

test("Deque: push, shift and pop across growth and wrap-around", () => {
  const d = new Deque<number>();
  for (let i = 0; i < 10; i++) d.push(i);
  for (let i = 0; i < 8; i++) assert.equal(d.shift(), i);
  for (let i = 10; i < 40; i++) d.push(i); // wraps, then grows
  assert.equal(d.pop(), 39);
  const rest: number[] = [];
  while (d.length > 0) rest.push(d.shift());
  assert.deepEqual(rest, Array.from({ length: 31 }, (_, i) => i + 8));
});

test("Heap: lowest first, ties in insertion order", () => {
  const h = new Heap<[number, string]>((a, b) => a[0] - b[0]);
  const items: Array<[number, string]> = [];
  for (let i = 0; i < 200; i++) items.push([(i * 7919) % 13, `#${i}`]);
  for (const item of items) h.push(item);
  const out: Array<[number, string]> = [];
  while (h.length > 0) out.push(h.shift());
  assert.deepEqual(out, [...items].sort((a, b) => a[0] - b[0] || Number(a[1].slice(1)) - Number(b[1].slice(1))));
});

test("item bytes round-trip: primitives, -0, strings with lone surrogates, objects, bigints", () => {
  for (const value of [0, -0, 1, -1, 2 ** 31, 1.5, NaN, Infinity, "", "héllo", "\ud800x", true, false, null, undefined, 12n, [1, { a: "b" }], new Map([[1, 2]]), new Date(0)]) {
    const back = decodeItem(encodeItem(value, "test"));
    assert.deepEqual(back, value);
    if (typeof value === "number") assert.ok(Object.is(back, value));
  }
  assert.throws(() => encodeItem(() => 1, "Queue.put item"), /Queue.put item: .*function/);
  assert.throws(() => encodeItem({ nested: { f: Math.max } }, "Queue.put item"), /Queue.put item.nested.f/);
});

test("a SharedArrayBuffer and views of one inside an item arrive as the same memory", () => {
  const shared = new SharedArrayBuffer(16);
  const view = new Int32Array(shared, 4, 2);
  const back = decodeItem(encodeItem({ shared, view }, "test")) as { shared: SharedArrayBuffer; view: Int32Array };
  back.view[0] = 42;
  assert.equal(view[0], 42);
  new Uint8Array(back.shared)[0] = 7;
  assert.equal(new Uint8Array(shared)[0], 7);
});

test("SharedStore as a deque: FIFO and LIFO through growth, wrap-around and compaction", () => {
  const store = SharedStore.create("deque");
  const other = new SharedStore(store.memory); // another thread's view of the same memory
  let next = 0;
  let expected = 0;
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 100; i++) store.push(enc(`item ${next++} ${"x".repeat(round * 10)}`));
    for (let i = 0; i < 90; i++) assert.equal(dec(other.shift()), `item ${expected} ${"x".repeat(Math.floor(expected++ / 100) * 10)}`);
  }
  assert.equal(store.length, 500);
  assert.ok(store.byteLength > 0);
  const last = dec(other.pop()) as string;
  assert.match(last, /^item 4999 /);
  while (store.length > 0) store.shift();
  assert.equal(store.byteLength, 0);
});

test("SharedStore takes small primitives straight into shared memory", () => {
  const store = SharedStore.create("deque");
  const values = [0, -1, 2 ** 40, -0, 0.5, "", "short", "s".repeat(5000), true, false, null, undefined];
  for (const value of values) store.push(typeof value === "string" && value.length > 4096 ? enc(value) : value);
  for (const value of values) assert.ok(Object.is(dec(store.shift()), value));
});

test("SharedStore holds a 16 MiB item next to small ones", () => {
  const store = SharedStore.create("deque");
  const big = new Uint8Array(16 * 1024 * 1024).fill(9);
  store.push(enc(1));
  store.push(enc(big));
  store.push(enc(2));
  assert.equal(dec(store.shift()), 1);
  const back = dec(store.shift()) as Uint8Array;
  assert.equal(back.length, big.length);
  assert.equal(back[big.length - 1], 9);
  assert.equal(dec(store.shift()), 2);
});

test("SharedStore as a heap: Python's order, ties in insertion order", () => {
  const store = SharedStore.create("heap");
  const items: unknown[] = [];
  for (let i = 0; i < 300; i++) items.push([(i * 31) % 7, `#${i}`]);
  for (const item of items) store.push(enc(item, true));
  const out: unknown[] = [];
  while (store.length > 0) out.push(dec(store.shift()));
  const expected = items.map((item, i) => ({ item, i })).sort((a, b) => pythonCompare(a.item, b.item) || a.i - b.i).map(({ item }) => item);
  assert.deepEqual(out, expected);
});
