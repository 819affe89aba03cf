/**
 * The "worker" context's Value, Array, RawValue and RawArray: numbers in shared memory, read and
 * written synchronously by every thread they are passed to.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Process, ThreadArray, ThreadValue, getContext } from "../../src/multiprocessing/index.js";
import { Lock } from "../../src/threading/index.js";
import { addLockFree, incrementValue } from "../fixtures/process-targets.js";

const ctx = getContext("worker");

async function runAll(processes: { start(): void; join(): Promise<void>; exitcode: number | null }[]): Promise<void> {
  for (const p of processes) p.start();
  for (const p of processes) await p.join();
  assert.deepEqual(
    processes.map((p) => p.exitcode),
    processes.map(() => 0),
  );
}

test("4 worker processes x 20,000 `value += 1` under the Value's lock end at exactly 80,000", async () => {
  const counter = ctx.Value("i", 0);
  assert.ok(counter instanceof ThreadValue);
  await runAll(Array.from({ length: 4 }, () => new ctx.Process({ target: incrementValue, args: [counter, 20_000] })));
  assert.equal(counter.value, 80_000);
});

test("add() is one atomic step without the lock, for integers and doubles; arr[i] is shared memory", async () => {
  const ints = ctx.Value("i", 0);
  const doubles = ctx.RawValue("d", 0);
  const slots = ctx.Array("q", 4);
  assert.ok(slots instanceof ThreadArray);
  await runAll([0, 1, 2, 3].map((slot) => new ctx.Process({ target: addLockFree, args: [slot % 2 ? ints : doubles, slot % 2 ? 3 : 0.5, 10_000, slots, slot] })));
  assert.equal(ints.value, 2 * 3 * 10_000);
  assert.equal(doubles.value, 2 * 0.5 * 10_000);
  assert.deepEqual(slots.toArray(), [1n, 11n, 21n, 31n]);
  assert.deepEqual([slots[0], slots[3], slots[4]], [1n, 31n, undefined]);
  assert.deepEqual([...slots], [1n, 11n, 21n, 31n]);
  assert.equal(slots.length, 4);
  assert.ok(3 in slots && !(4 in slots));
});

test("integers wrap as their C type does; Array from values; RawArray is a typed array over shared memory", () => {
  const byte = ctx.Value("B", 255);
  assert.equal(byte.add(1), 0);
  const int = ctx.Value("i", 2 ** 31 - 1);
  int.value += 1;
  assert.equal(int.value, -(2 ** 31));
  const big = ctx.Value("q");
  assert.equal(big.value, 0n);
  const arr = ctx.Array("d", [1.5, 2.5]);
  arr[1] = 7;
  arr.set(0, 3);
  assert.deepEqual(arr.toArray(), [3, 7]);
  arr.setAll([0.25, 0.5]);
  assert.equal(String(arr), 'Array("d", [0.25, 0.5])');
  assert.equal(String(ctx.Value("h", -3)), 'Value("h", -3)');
  assert.ok(arr.getObj() instanceof Float64Array && arr.getObj().buffer instanceof SharedArrayBuffer);
  const raw = ctx.RawArray("i", [1, 2, 3]);
  assert.ok(raw instanceof Int32Array && raw.buffer instanceof SharedArrayBuffer);
  assert.deepEqual([...raw], [1, 2, 3]);
  const own = new Lock();
  assert.equal(ctx.Value("i", 0, { lock: own }).getLock(), own);
});

test("bad input names the argument; a thread-shared Value cannot go to another process", () => {
  assert.throws(() => ctx.Value("x" as "i", 0), /Value: unknown type code "x"; use one of/);
  assert.throws(() => ctx.Value("i", 1n as unknown as number), /Value\[0\]: a "i" holds a number: got bigint 1/);
  assert.throws(() => ctx.Array("i", -1), /Array: size must be a non-negative integer: got -1/);
  assert.throws(() => ctx.Array("i", "abc" as unknown as number), /Array: expected a size or an array of values/);
  const arr = ctx.Array("i", 2);
  assert.throws(() => arr.get(2), (e: unknown) => e instanceof RangeError && /Array.get: index 2 is out of range: the array has 2 elements/.test(e.message));
  assert.throws(() => (arr[5] = 1), /Array.set: index 5 is out of range/);
  assert.throws(() => arr.set(0, "1" as unknown as number), /Array\[0\]: a "i" holds a number: got "1"/);
  assert.throws(() => (arr[0] = 1.5), /Array\[0\]: a "i" holds an integer: got number 1.5/);
  assert.throws(() => (ctx.Value("i", 0).value = 2.5), /Value.value: a "i" holds an integer: got number 2.5/);
  assert.throws(() => ctx.Value("I", 0.5), /Value\[0\]: a "I" holds an integer: got number 0.5/);
  assert.equal(arr[0], 0);
  // Negative indices count from the end in the methods, as Python's arr[-1].
  arr.set(-1, 9);
  assert.equal(arr.get(-1), 9);
  assert.equal(arr.add(-2, 4), 4);
  assert.deepEqual(arr.toArray(), [4, 9]);
  assert.throws(() => arr.get(-3), /Array.get: index -3 is out of range: the array has 2 elements/);
  assert.throws(() => ctx.RawValue("i").getLock(), /Cannot get the lock of a RawValue/);
  assert.throws(() => ctx.Value("i", 0, { lock: {} as Lock }), /Value: lock must be true, false or a threading Lock\/RLock/);
  const value = ctx.Value("i", 0);
  const p = new Process({ target: incrementValue, args: [value, 1] });
  assert.throws(() => p.start(), (e: unknown) => e instanceof TypeError && /args\[0\]: cannot send the worker context's Value to another process/.test(e.message));
});

test("a worker context Value or Array that a worker thread sends back is the very object", async () => {
  const ctx = getContext("worker");
  const back = new ctx.Queue();
  const value = ctx.Value("i", 5);
  const array = ctx.Array("d", [1, 2]);
  const raw = ctx.RawValue("i", 1);
  const t = new ctx.Process({ target: async (objects: unknown[], reply: { put(x: unknown): Promise<void> }) => reply.put(objects), args: [[value, array, raw], back] });
  t.start();
  await t.join();
  const [v, a, r] = (await back.get({ timeout: 30_000 })) as [ThreadValue, ThreadArray, ThreadValue];
  assert.equal(v, value);
  assert.equal(a, array);
  assert.equal(r, raw);
});
