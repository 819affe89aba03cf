/**
 * The ThreadPool's shared-memory ring: records in order, wrap-around, full ring, and a real
 * producer thread.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { Ring } from "../../src/multiprocessing/pool/ring.js";

const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

test("records come out in order, across the wrap-around, and a full ring refuses", () => {
  const ring = new Ring(64);
  assert.equal(ring.maxRecord, 16);
  const seen: number[][] = [];
  const take = (record: Uint8Array): void => void seen.push([...record]);
  for (let round = 0; round < 50; round++) {
    assert.equal(ring.tryWrite([bytes(3, round)], 3), true);
    assert.equal(ring.tryWrite([bytes(1, 1), bytes(5, 2)], 6), true);
    assert.equal(ring.tryWrite([], 0), true);
    assert.equal(ring.drain(take), 3);
    assert.deepEqual(seen.splice(0), [[round, round, round], [1, 2, 2, 2, 2, 2], []]);
  }
  while (ring.tryWrite([bytes(12, 9)], 12));
  assert.equal(ring.hasRoom(12), false);
  assert.ok(ring.drain(take) >= 3);
  assert.equal(ring.isEmpty(), true);
  assert.throws(() => new Ring(100), RangeError);
});

test("a producer thread and this consumer agree on every record", async (t) => {
  const ring = new Ring(1024);
  const count = 20_000;
  const worker = new Worker(
    `const { workerData } = require("node:worker_threads");
     import(workerData.module).then(({ Ring }) => {
       const ring = new Ring(workerData.buffer);
       const header = new Uint8Array(4);
       for (let i = 0; i < ${count}; i++) {
         new DataView(header.buffer).setUint32(0, i, true);
         ring.writeSync([header, new Uint8Array(i % 40).fill(i & 255)], 4 + (i % 40));
       }
     });`,
    { eval: true, workerData: { buffer: ring.buffer, module: new URL("../../src/multiprocessing/pool/ring.js", import.meta.url).href } },
  );
  t.after(() => worker.terminate());
  let next = 0;
  while (next < count) {
    const position = ring.writePosition();
    ring.drain((record) => {
      const i = new DataView(record.buffer, record.byteOffset, 4).getUint32(0, true);
      assert.equal(i, next);
      assert.equal(record.length, 4 + (i % 40));
      if (record.length > 4) assert.equal(record[4], i & 255);
      next++;
    });
    if (next < count) await ring.waitAsync(position);
  }
});
