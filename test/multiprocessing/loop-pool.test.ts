/**
 * LoopPool: Python's ThreadPool for I/O-bound work, on the event loop. Calls are bounded by
 * `processes`, closures and objects pass as they are, and close, terminate, abort and a failing
 * initializer behave as the other pools'.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { LoopPool, PoolTerminatedError, ProcessError } from "../../src/multiprocessing/index.js";

/** A promise the test settles when it chooses. */
function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void; reject(error: unknown): void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** Lets queued microtasks and callbacks run (no timer: the pool starts tasks on microtasks). */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test("at most `processes` calls at once, closures and the very objects in and out, values in order", async () => {
  await using pool = new LoopPool({ processes: 3 });
  let running = 0;
  let most = 0;
  const seen: object[] = [];
  const items = Array.from({ length: 20 }, (_, i) => ({ i }));
  const values = await pool.map(async (item: { i: number }) => {
    running++;
    most = Math.max(most, running);
    seen.push(item);
    await turn();
    running--;
    return { doubled: item.i * 2, item };
  }, items, { chunksize: 1 });
  assert.equal(most, 3);
  assert.deepEqual(values.map((v) => v.doubled), items.map(({ i }) => i * 2));
  assert.ok(values.every((v, i) => v.item === items[i]), "the very objects");
  assert.equal(seen.length, 20);
  assert.deepEqual(await pool.starmap((a: number, b: number) => a + b, [[1, 2], [3, 4]]), [3, 7]);
  assert.deepEqual(await pool.map((x: number) => x + 1, [1, 2, 3, 4, 5], { chunksize: 2 }), [2, 3, 4, 5, 6]);
});

test("applyAsync returns before its function runs; callbacks, get, and the error itself", async () => {
  const pool = new LoopPool({ processes: 2 });
  let ran = false;
  const values: number[] = [];
  const result = pool.applyAsync(() => ((ran = true), 42), [], { callback: (v) => values.push(v) });
  assert.equal(ran, false, "not called inside applyAsync");
  assert.equal(await result.get({ timeout: 10_000 }), 42);
  assert.deepEqual(values, [42]);
  const boom = new Error("boom");
  const errors: Error[] = [];
  const failed = pool.applyAsync(async () => Promise.reject(boom), [], { errorCallback: (e) => errors.push(e) });
  await assert.rejects(failed.get(), (error) => error === boom);
  assert.deepEqual(errors, [boom]);
  assert.equal(failed.successful(), false);
  await assert.rejects(pool.map((x: number) => {
    if (x === 3) throw new RangeError("three");
    return x;
  }, [1, 2, 3, 4]), /three/);
  pool.close();
  await pool.join();
});

test("imap yields in order, imapUnordered as calls finish", async () => {
  await using pool = new LoopPool({ processes: 4 });
  for (const [method, expected] of [["imapUnordered", [2, 0, 3, 1]], ["imap", [0, 1, 2, 3]]] as const) {
    const gates = [deferred(), deferred(), deferred(), deferred()];
    const allStarted = deferred();
    let started = 0;
    const values = pool[method](async (i: number) => {
      if (++started === 4) allStarted.resolve();
      await gates[i]!.promise;
      return i;
    }, [0, 1, 2, 3]);
    await allStarted.promise;
    // Finish them in the order 2, 0, 3, 1, each one before the next is let go.
    for (const i of [2, 0, 3, 1]) {
      gates[i]!.resolve();
      await turn();
    }
    const got: number[] = [];
    for await (const value of values) got.push(value);
    assert.deepEqual(got, expected, method);
  }
});

test("close lets queued tasks run and join waits for them; nothing is taken after close", async () => {
  const pool = new LoopPool({ processes: 1 });
  await assert.rejects(pool.join(), /still running/);
  const gate = deferred();
  const done: number[] = [];
  const results = [1, 2, 3].map((i) => pool.apply(async () => (await gate.promise, done.push(i), i), []));
  pool.close();
  assert.throws(() => pool.applyAsync(() => 0, []), /pool is closed/);
  let joined = false;
  const join = pool.join().then(() => (joined = true));
  await turn();
  assert.equal(joined, false);
  gate.resolve();
  await join;
  assert.deepEqual(done, [1, 2, 3]);
  assert.deepEqual(await Promise.all(results), [1, 2, 3]);
});

test("terminate rejects what is not done, runs nothing queued, and join waits for the running call", async () => {
  const pool = new LoopPool({ processes: 1 });
  const gate = deferred();
  let queuedRan = false;
  let runningEnded = false;
  const running = pool.apply(async () => (await gate.promise, (runningEnded = true), "late"), []);
  const queued = pool.apply(() => ((queuedRan = true), "never"), []);
  await turn();
  await pool.terminate();
  await assert.rejects(running, PoolTerminatedError);
  await assert.rejects(queued, PoolTerminatedError);
  assert.throws(() => pool.applyAsync(() => 0, []), /pool is terminated/);
  const join = pool.join();
  gate.resolve();
  await join;
  assert.equal(runningEnded, true);
  assert.equal(queuedRan, false);
});

test("terminate, or an aborted signal, calls no further item of a chunk already running", async () => {
  for (const stop of ["terminate", "abort"] as const) {
    const pool = new LoopPool({ processes: 2 });
    const controller = new AbortController();
    const gate = deferred();
    let calls = 0;
    const mapped = pool.map(async (_item: number) => {
      calls++;
      await gate.promise;
    }, Array.from({ length: 100 }, (_, i) => i), { chunksize: 50, signal: controller.signal });
    mapped.catch(() => undefined);
    await turn();
    assert.equal(calls, 2, "one call of each chunk running");
    if (stop === "terminate") await pool.terminate();
    else controller.abort(new Error("stop"));
    gate.resolve();
    if (stop === "abort") pool.close();
    await pool.join();
    assert.equal(calls, 2, `${stop}: no further item was called`);
  }
});

test("an aborted signal rejects with its reason and cancels the tasks not started", async () => {
  await using pool = new LoopPool({ processes: 1 });
  const gate = deferred();
  const blocker = pool.apply(() => gate.promise, []);
  const controller = new AbortController();
  let ran = false;
  const aborted = pool.map((_item: number) => (ran = true), [1, 2, 3], { signal: controller.signal });
  controller.abort(new Error("no longer wanted"));
  await assert.rejects(aborted, /no longer wanted/);
  gate.resolve();
  await blocker;
  await pool.apply(() => undefined, []); // behind the cancelled ones, had they run
  assert.equal(ran, false);
});

test("the initializer runs once per worker before any task; if it fails, the pool is broken", async () => {
  const calls: string[] = [];
  const pool = new LoopPool({ processes: 3, initializer: async (tag: string) => calls.push(tag), initargs: ["init"] });
  assert.equal(await pool.apply(() => calls.length, []), 3);
  pool.close();
  await pool.join();
  const broken = new LoopPool({ processes: 2, initializer: () => {
    throw new Error("no database");
  } });
  await assert.rejects(broken.apply(() => 1, []), (error: unknown) => error instanceof ProcessError && /initializer failed: no database/.test(error.message));
  await broken.join();
});

test("bad arguments are refused at once, naming them", () => {
  assert.throws(() => new LoopPool({ processes: 0 }), /LoopPool: processes must be an integer of at least 1: got number 0/);
  assert.throws(() => new LoopPool({ initializer: 3 as never }), /LoopPool: initializer must be a function/);
  const pool = new LoopPool({ processes: 1 });
  assert.throws(() => pool.applyAsync("f" as never, [] as never), /LoopPool.applyAsync: func must be a function/);
  assert.throws(() => pool.applyAsync(() => 1, 5 as never), /LoopPool.applyAsync: args must be an array/);
  assert.throws(() => pool.mapAsync((x: number) => x, [1], { chunksize: 0 }), /LoopPool.mapAsync: chunksize must be a positive integer/);
  assert.throws(() => pool.starmapAsync((x: number) => x, [1 as never]), /each item must be an argument array/);
  void pool.terminate();
});
