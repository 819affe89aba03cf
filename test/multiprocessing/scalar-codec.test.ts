import { test } from "node:test";
import assert from "node:assert/strict";
import { deserialize, serialize } from "node:v8";
import { NOT_SCALAR, decodeScalar, encodeScalar } from "../../src/multiprocessing/scalar-codec.js";
import { packItems, unpackItems } from "../../src/multiprocessing/item-batch.js";

const SCALARS: unknown[] = [
  0, 1, -1, 63, 64, -64, -65, 8191, 8192, 2 ** 30 - 1, -(2 ** 30), 2 ** 30, -(2 ** 30) - 1, 2 ** 31, 2 ** 53, -0, 0.5, -1e-300,
  NaN, Infinity, -Infinity, true, false, null, undefined, "", "a", "hello world", "é ÿ", "x".repeat(64),
];

test("scalars encoded by hand are what v8 reads, and v8's bytes decode by hand", () => {
  for (const value of SCALARS) {
    const mine = encodeScalar(value);
    assert.ok(mine !== undefined, `${String(value)} takes the fast path`);
    assert.ok(Object.is(deserialize(mine), value), `v8 reads ${String(value)}`);
    assert.ok(Object.is(decodeScalar(mine), value), `decodeScalar reads ${String(value)}`);
    assert.ok(Object.is(decodeScalar(serialize(value)), value), `decodeScalar reads v8's ${String(value)}`);
  }
});

test("other values are left to v8, both ways", () => {
  for (const value of ["x".repeat(65), "€", "日本", 1n, {}, [1], new Date(0), Symbol.iterator, () => 1]) {
    assert.equal(encodeScalar(value), undefined, `${String(value)} is not a fast scalar`);
  }
  for (const value of ["x".repeat(65), "€", 1n, {}, [1], new Map(), new Uint8Array(3)]) {
    assert.equal(decodeScalar(serialize(value)), NOT_SCALAR);
  }
  assert.equal(decodeScalar(Buffer.from([0xff, 0x0f, 0x49, 0x80])), NOT_SCALAR, "a varint cut short");
  assert.equal(decodeScalar(Buffer.from([0xff, 0x0f, 0x49, 0x02, 0x00])), NOT_SCALAR, "bytes after the value");
  assert.equal(decodeScalar(Buffer.from([0x00, 0x0f, 0x54])), NOT_SCALAR, "no header");
});

test("a packed batch of items unpacks to the same items; a cut batch is refused", () => {
  const items = [Buffer.from("a"), Buffer.alloc(0), Buffer.alloc(70_000, 3), serialize({ k: [1, 2] })];
  const unpacked = unpackItems(packItems(items), "test");
  assert.deepEqual(unpacked.map((item) => Buffer.from(item)), items);
  assert.deepEqual(unpackItems(packItems([]), "test"), []);
  const packed = packItems(items);
  assert.throws(() => unpackItems(packed.subarray(0, packed.length - 1), "Queue.put"), /Queue\.put: a packed batch of items ends inside an item/);
  assert.throws(() => unpackItems(packed.subarray(0, 2), "Queue.put"), /ends inside a length/);
  assert.throws(() => unpackItems([1, 2], "Queue.put"), /Queue\.put: expected a packed batch/);
});
