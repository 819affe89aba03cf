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

for (const [kind, make] of pools) {
  test(`${kind}: close(), join(), then reading an imap works as in Python; with a buffersize of the caller's, join waits for the reader`, { timeout: 30_000 }, async (t) => {
    const pool = make();
    t.after(() => pool.terminate());
    const count = 3000; // more than the default buffer: join() must not wait for a reader that comes after it
    const items = Array.from({ length: count }, (_, i) => i);
    const ordered = pool.imap(f.square, items);
    const unordered = pool.imapUnordered(f.square, items, { chunksize: 7 });
    const bounded = pool.imap(f.square, [1, 2, 3, 4, 5], { buffersize: 1 });
    pool.close();
    let joined = false;
    const joining = pool.join().then(() => (joined = true));
    const first: number[] = [];
    for await (const value of bounded) {
      // Until the last item is read from the iterable, the pool has work it cannot finish.
      if (first.length < 3) assert.equal(joined, false, "a buffersize the caller chose still bounds what is read ahead");
      first.push(value);
    }
    assert.deepEqual(first, [1, 4, 9, 16, 25]);
    await joining;
    const all: number[] = [];
    for await (const value of ordered) all.push(value);
    assert.deepEqual(all, items.map((x) => x * x));
    const any: number[] = [];
    for await (const value of unordered) any.push(value);
    assert.deepEqual(any.sort((a, b) => a - b), items.map((x) => x * x));
  });
}

for (const [kind, make] of pools) {
  for (const source of ["sync", "async"] as const) {
    test(`${kind}: join() after close() reads an endless ${source} iterable a buffer a turn, so a loop leaving with break still runs and join ends`, { timeout: 30_000 }, async (t) => {
      const pool = make();
      t.after(() => pool.terminate());
      const cap = 200_000; // standing in for an endless iterable: join() used to read it all at once
      let pulled = 0;
      function* endless(): Generator<number> {
        while (pulled < cap) yield pulled++;
      }
      // Its items come by microtasks alone: reading them without a pause starved the event loop.
      async function* endlessAsync(): AsyncGenerator<number> {
        while (pulled < cap) yield pulled++;
      }
      const results = pool.imap(f.square, source === "sync" ? endless() : endlessAsync());
      pool.close();
      const joining = pool.join();
      assert.ok(pulled < cap / 10, `join() read ${pulled} items before returning`);
      const got: number[] = [];
      for await (const value of results) {
        got.push(value);
        if (got.length === 10) break;
      }
      assert.deepEqual(got, [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
      await joining;
      assert.ok(pulled < cap, "leaving the loop stopped the reading");
    });
  }

  test(`${kind}: a closed pool whose imap was left with break ends its workers (join waited forever when cancelled chunks outlived the last result)`, { timeout: 30_000 }, async (t) => {
    for (let round = 0; round < 5; round++) {
      const pool = make();
      t.after(() => pool.terminate());
      const results = pool.imap(f.square, Array.from({ length: 5000 }, (_, i) => i));
      pool.close();
      let count = 0;
      for await (const _ of results) if (++count === 10) break;
      await pool.join();
    }
  });
}
