/**
 * The iterator of imap and imapUnordered, shared by every pool: whatever the buffersize and
 * chunksize, every item comes out once, and the end only after the last one.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { LoopPool, Pool, ThreadPool } from "../../src/multiprocessing/index.js";
import * as f from "./pool-fixtures.js";

const pools = [
  ["Pool", () => new Pool({ processes: 2 })],
  ["ThreadPool", () => new ThreadPool({ processes: 2 })],
  ["LoopPool", () => new LoopPool({ processes: 2 })],
] as const;

for (const [kind, make] of pools) {
  test(`${kind}: imap and imapUnordered yield every item for every buffersize and chunksize`, async (t) => {
    const pool = make();
    t.after(() => pool.terminate());
    const items = [1, 2, 3, 4, 5];
    const squares = items.map((x) => x * x);
    for (const buffersize of [1, 2, 3, 8]) {
      for (const chunksize of [1, 2, 3]) {
        const ordered: number[] = [];
        for await (const value of pool.imap(f.square, items, { buffersize, chunksize })) ordered.push(value);
        assert.deepEqual(ordered, squares, `imap, buffersize ${buffersize}, chunksize ${chunksize}`);
        const unordered: number[] = [];
        for await (const value of pool.imapUnordered(f.square, items, { buffersize, chunksize })) unordered.push(value);
        assert.deepEqual(unordered.sort((a, b) => a - b), squares, `imapUnordered, buffersize ${buffersize}, chunksize ${chunksize}`);
      }
    }
  });
}
