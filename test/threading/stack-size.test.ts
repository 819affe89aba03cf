/**
 * `stackSize()` (`threading.stack_size`): the stack of the worker threads started after it, for
 * worker Threads and ThreadPool workers, seen as how deep a function can recurse in them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Thread, stackSize } from "../../src/threading/index.js";
import { ThreadPool } from "../../src/multiprocessing/index.js";

function depth(out: Int32Array): void {
  let d = 0;
  const dive = (): void => {
    d++;
    dive();
  };
  try {
    dive();
  } catch {
    // RangeError: the stack is full
  }
  out[0] = d;
}

async function threadDepth(): Promise<number> {
  const out = new Int32Array(new SharedArrayBuffer(4));
  const thread = new Thread({ target: depth, args: [out], worker: true });
  thread.start();
  await thread.join();
  return out[0]!;
}

async function poolDepth(): Promise<number> {
  const pool = new ThreadPool({ processes: 1 });
  try {
    const out = new Int32Array(new SharedArrayBuffer(4));
    await pool.apply(depth, [out]);
    return out[0]!;
  } finally {
    await pool.terminate();
  }
}

test("stackSize sets the stack of the worker threads started next, and returns the previous size", async (t) => {
  t.after(() => stackSize(0));
  assert.equal(stackSize(), 0);
  assert.equal(stackSize(1024 * 1024), 0);
  assert.equal(stackSize(), 1024 * 1024);
  const small = await threadDepth();
  const smallPool = await poolDepth();
  assert.equal(stackSize(32 * 1024 * 1024), 1024 * 1024);
  const large = await threadDepth();
  const largePool = await poolDepth();
  // 32 times the stack: far deeper recursion (frames differ a little in size, so not exactly 32x).
  assert.ok(large > 8 * small, `depth with 32 MiB ${large}, with 1 MiB ${small}`);
  assert.ok(largePool > 8 * smallPool, `pool depth with 32 MiB ${largePool}, with 1 MiB ${smallPool}`);
  // The smallest size still starts a worker, and runs shoal's entry and the target in it.
  stackSize(512 * 1024);
  assert.ok((await threadDepth()) > 100);
  stackSize(0);
  const usual = await threadDepth();
  assert.ok(usual > small && usual < large, `default depth ${usual} between ${small} and ${large}`);
});

test("stackSize refuses a size a worker cannot start with, and keeps the one it had", () => {
  for (const bad of [1, 32 * 1024, 512 * 1024 - 1, -1, 1.5, Number.NaN, "1048576"]) {
    assert.throws(() => stackSize(bad as number), (error: unknown) => {
      assert.ok(error instanceof RangeError);
      assert.match(error.message, /^stackSize: size must be 0 .* at least 524288 /);
      return true;
    });
  }
  assert.equal(stackSize(), 0);
  assert.equal(stackSize(512 * 1024), 0);
  assert.equal(stackSize(0), 512 * 1024);
});
