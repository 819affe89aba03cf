/**
 * Pool and ThreadPool: the API, run against both (real child processes, real worker threads).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { setImmediate as tick } from "node:timers/promises";
import { AsyncResult, Pool, ThreadPool, RemoteTraceback, MaybeEncodingError } from "../../src/multiprocessing/pool/index.js";
import { TimeoutError } from "../../src/multiprocessing/errors.js";
import { activeChildren } from "../../src/multiprocessing/process.js";
import { task } from "../../src/internal/task.js";
import { Lock } from "../../src/threading/index.js";
import { Event as MpEvent, Lock as MpLock, Queue as MpQueue } from "../../src/multiprocessing/index.js";
import * as f from "./pool-fixtures.js";

const backends = [
  ["Pool", (options = {}) => new Pool({ processes: 2, ...options })],
  ["ThreadPool", (options = {}) => new ThreadPool({ processes: 2, ...options })],
] as const;

for (const [kind, make] of backends) {
  describe(kind, () => {
    test("apply, applyAsync, map, starmap, imap: values come back typed", async (t) => {
      const pool = make();
      t.after(() => pool.terminate());
      const nine: number = await pool.apply(f.square, [3]);
      assert.equal(nine, 9);
      // @ts-expect-error: square takes a number
      assert.ok(pool.applyAsync(f.square, ["3"]) instanceof AsyncResult);
      assert.equal(await pool.apply(f.add, [2, 5]), 7);
      assert.equal(await pool.apply(f.concat, ["a", "é"]), "aé");
      assert.deepEqual(await pool.apply(f.objectOf, [2]), { x: 2, list: [2, 3], nested: { y: "2" } });
      assert.equal(await pool.apply(f.identity, [undefined]), undefined);
      assert.equal(await pool.apply(f.slowSquare, [4, 1]), 16);
      assert.deepEqual(await pool.map(f.square, [1, 2, 3, 4, 5]), [1, 4, 9, 16, 25]);
      assert.deepEqual(await pool.map(f.square, new Set([1, 2, 3]), { chunksize: 2 }), [1, 4, 9]);
      assert.deepEqual(await pool.map(f.square, []), []);
      const many = Array.from({ length: 1000 }, (_, i) => i);
      assert.deepEqual(await pool.map(f.square, many), many.map((x) => x * x));
      assert.deepEqual(await pool.map(f.identity, ["a", { b: 1 }, null]), ["a", { b: 1 }, null]);
      assert.deepEqual(await pool.starmap(f.add, [[1, 2], [3, 4]]), [3, 7]);
      assert.deepEqual(await pool.starmapAsync(f.add, [[1, 1]]), [2]);
      assert.deepEqual(await pool.apply(f.bytes, [3]), new Uint8Array([7, 7, 7]));
      // Big values take the slow lane (bigger than a ring record) and still arrive.
      assert.equal((await pool.apply(f.bytes, [2_000_000])).length, 2_000_000);
      assert.equal(await pool.apply(f.sum, [Array.from({ length: 300_000 }, () => 1)]), 300_000);
      const seen: number[] = [];
      for await (const value of pool.imap(f.square, [1, 2, 3, 4], { chunksize: 3 })) seen.push(value);
      assert.deepEqual(seen, [1, 4, 9, 16]);
      const unordered: number[] = [];
      for await (const value of pool.imapUnordered(f.square, f.asyncRange(20))) unordered.push(value);
      assert.deepEqual(unordered.sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i * i));
    });

    test("self-contained functions and task() references run too", async (t) => {
      const pool = make();
      t.after(() => pool.terminate());
      assert.equal(await pool.apply((a: number, b: number) => a * b, [6, 7]), 42);
      assert.deepEqual(await pool.map((s: string) => s.toUpperCase(), ["a", "b"]), ["A", "B"]);
      const ref = task<typeof f.square>(new URL("./pool-fixtures.js", import.meta.url).href, "square");
      const four: number = await pool.apply(ref, [2]);
      assert.equal(four, 4);
      const captured = 5;
      await assert.rejects(pool.apply(() => captured, []), /closure/);
      assert.throws(() => pool.applyAsync(Math.max, [1, 2]), TypeError);
      assert.throws(() => pool.applyAsync(f.identity, [() => 1]), TypeError, "a function argument cannot cross");
    });

    test("AsyncResult: ready, successful, wait, get with a timeout, callbacks in completion order", async (t) => {
      const pool = make();
      t.after(() => pool.terminate());
      const order: number[] = [];
      const slow = pool.applyAsync(f.slowSquare, [3, 150], { callback: (v) => order.push(v) });
      const fast = pool.applyAsync(f.slowSquare, [2, 1], { callback: (v) => order.push(v) });
      assert.equal(slow.ready(), false);
      assert.throws(() => slow.successful(), RangeError);
      await assert.rejects(slow.get({ timeout: 5 }), TimeoutError);
      assert.equal(await slow.wait({ timeout: 5 }), false);
      assert.equal(await fast, 4);
      assert.equal(await slow.wait(), true);
      assert.equal(slow.successful(), true);
      assert.equal(await slow.get(), 9);
      assert.deepEqual(order, [4, 9]);
      const errors: Error[] = [];
      const failing = pool.applyAsync(f.fail, ["nope"], { errorCallback: (e) => errors.push(e) });
      assert.equal(await failing.wait(), true);
      assert.equal(failing.successful(), false);
      assert.equal(errors.length, 1);
      await assert.rejects(failing.get(), RangeError);
      const mapped: number[][] = [];
      const all = pool.mapAsync(f.square, [1, 2, 3], { chunksize: 1, callback: (v) => mapped.push(v) });
      assert.deepEqual(await all.get({ timeout: 10_000 }), [1, 4, 9]);
      assert.deepEqual(mapped, [[1, 4, 9]]);
      await assert.rejects(slow.get({ timeout: -1 }), RangeError);
    });

    test("a throwing task rejects with the remote error and its stack as cause; the worker lives on", async (t) => {
      const pool = make({ processes: 1 });
      t.after(() => pool.terminate());
      const before = pool.workerIds;
      const error = await pool.apply(f.fail, ["bad input"]).then(() => assert.fail("resolved"), (e: unknown) => e as Error & { code?: string });
      assert.ok(error instanceof RangeError);
      assert.equal(error.message, "bad input");
      assert.equal(error.code, "E_TASK");
      assert.ok(error.cause instanceof RemoteTraceback);
      assert.match((error.cause as Error).message, /RangeError: bad input\n\s+at fail .*pool-fixtures/);
      const custom = await pool.apply(f.failCustom, ["x"]).catch((e: Error) => e);
      assert.equal((custom as Error).name, "CustomError");
      await assert.rejects(pool.apply(f.returnFunction, []), MaybeEncodingError);
      // A map keeps the first failure and settles after every chunk.
      await assert.rejects(pool.map(f.fail, ["a", "b"], { chunksize: 1 }), /^RangeError: a$/);
      assert.equal(await pool.apply(f.square, [5]), 25);
      assert.deepEqual(pool.workerIds, before);
    });

    test("a task's error keeps its data fields and an AggregateError its class and errors, as Python's pickled exception keeps its attributes", async (t) => {
      const pool = make({ processes: 1 });
      t.after(() => pool.terminate());
      const error = (await pool.apply(f.failWithData, ["with data"]).catch((e: unknown) => e)) as Error & Record<string, unknown>;
      assert.equal(error.message, "with data");
      assert.equal(error.code, "E_DATA");
      assert.deepEqual(error.details, { host: "db1", tries: [1, 2, 3], seen: new Map([["a", 1]]) });
      assert.deepEqual(error.when, new Date(0));
      assert.equal("handler" in error, false);
      assert.ok(error.cause instanceof RemoteTraceback);
      const aggregate = await pool.apply(f.failAggregate, []).catch((e: unknown) => e);
      assert.ok(aggregate instanceof AggregateError);
      assert.equal(aggregate.message, "both failed");
      assert.deepEqual(aggregate.errors.map((e: Error) => [e.constructor, e.message]), [[RangeError, "first"], [TypeError, "second"]]);
    });

    test("a task's error with a field whose getter throws comes back without that field (the worker died of it)", async (t) => {
      const pool = make({ processes: 1 });
      t.after(() => pool.terminate());
      const error = (await pool.apply(f.failWithThrowingGetter, ["lazy"]).catch((e: unknown) => e)) as RangeError & Record<string, unknown>;
      assert.ok(error instanceof RangeError, String(error));
      assert.equal(error.message, "lazy");
      assert.equal(error.code, "E_LAZY");
      assert.equal("details" in error, false);
    });

    test("imap: errors take their place, next({ timeout }) rejects TimeoutError, leaving early stops feeding", async (t) => {
      const pool = make();
      t.after(() => pool.terminate());
      const it = pool.imap(f.fail, ["x", "y"]);
      await assert.rejects(it.next(), /x/);
      await assert.rejects(it.next(), /y/);
      assert.deepEqual(await it.next(), { done: true, value: undefined });

      const slow = pool.imap(f.sleepy, [7]);
      await assert.rejects(slow.next({ timeout: 1 }), TimeoutError);
      assert.deepEqual(await slow.next(), { done: false, value: 7 });

      const pulls = { count: 0 };
      let taken = 0;
      for await (const value of pool.imap(f.square, f.counted(1_000_000, pulls), { buffersize: 10 })) {
        assert.equal(value, taken * taken);
        if (++taken === 25) break;
      }
      assert.ok(pulls.count <= 25 + 10, `read ${pulls.count} items for 25 taken with buffersize 10`);
      await assert.rejects(async () => {
        for await (const _ of pool.imap(f.square, [1], { chunksize: 0 })) void _;
      }, RangeError);

      // An iterable that throws: the values before it, then its error in its place.
      function* broken(): Generator<number> {
        yield 1;
        yield 2;
        throw new Error("source broke");
      }
      const got: number[] = [];
      await assert.rejects(async () => {
        for await (const value of pool.imap(f.square, broken())) got.push(value);
      }, /source broke/);
      assert.deepEqual(got, [1, 4]);
    });

    test("an AbortSignal cancels a queued task", async (t) => {
      const pool = make({ processes: 1 });
      t.after(() => pool.terminate());
      const blocker = pool.applyAsync(f.slowSquare, [1, 100]);
      const controller = new AbortController();
      const queued = pool.applyAsync(f.square, [2], { signal: controller.signal });
      controller.abort(new Error("not needed"));
      await assert.rejects(queued.get(), /not needed/);
      assert.equal(await blocker, 1);
      const already = pool.applyAsync(f.square, [2], { signal: AbortSignal.abort(new Error("too late")) });
      await assert.rejects(already.get(), /too late/);
    });

    test("one AbortSignal per task: apply, map, imap; a signal shared by many tasks holds no listener after them", async (t) => {
      const pool = make({ processes: 1 });
      t.after(() => pool.terminate());
      const blocker = pool.applyAsync(f.slowSquare, [1, 150]);
      const controller = new AbortController();
      const applied = pool.apply(f.square, [2], { signal: controller.signal });
      const mapped = pool.map(f.square, [1, 2, 3], { chunksize: 1, signal: controller.signal });
      const pulls = { count: 0 };
      const iterator = pool.imap(f.square, f.counted(1_000_000, pulls), { buffersize: 4, signal: controller.signal });
      controller.abort(new Error("stop"));
      await assert.rejects(applied, /stop/);
      await assert.rejects(mapped, /stop/);
      await assert.rejects(iterator.next(), /stop/);
      assert.ok(pulls.count <= 4, `the aborted imap read ${pulls.count} items`);
      assert.equal(await blocker, 1);
      await assert.rejects(pool.map(f.square, [1], { signal: AbortSignal.abort(new Error("before")) }), /before/);

      const shared = new AbortController();
      const many = Array.from({ length: 200 }, (_, i) => pool.applyAsync(f.square, [i], { signal: shared.signal }));
      await Promise.all(many);
      await pool.map(f.square, [1, 2], { signal: shared.signal });
      for await (const _ of pool.imap(f.square, [1, 2], { signal: shared.signal })) void _;
      assert.equal(getEventListeners(shared.signal, "abort").length, 0, "settled tasks still listen to their signal");
      assert.equal(await pool.apply(f.square, [9]), 81);
    });

    test("bad input fails at once with an error naming the argument", async (t) => {
      const pool = make({ processes: 1 });
      t.after(() => pool.terminate());
      const name = kind;
      assert.throws(() => pool.applyAsync(42 as never, [] as never), { name: "TypeError", message: new RegExp(`^${name}.applyAsync func must be a function or a task\\(moduleUrl, name\\) reference: got (a )?number`) });
      await assert.rejects(pool.apply("square" as never, [] as never), { name: "TypeError", message: /apply(Async)? func must be a function/ });
      assert.throws(() => pool.applyAsync(f.square, 3 as never), { name: "TypeError", message: new RegExp(`^${name}.applyAsync: args must be an array`) });
      await assert.rejects(pool.map(f.square, 42 as never), { name: "TypeError", message: new RegExp(`^${name}.map: iterable must be iterable: got (a )?number`) });
      assert.throws(() => pool.imap(f.square, null as never), { name: "TypeError", message: new RegExp(`^${name}.imap: iterable must be iterable or async iterable: got null`) });
      for (const chunksize of [0, -1, 1.5]) {
        await assert.rejects(pool.map(f.square, [1], { chunksize }), { name: "RangeError", message: new RegExp(`^${name}.map: chunksize must be a positive integer: got ${chunksize}$`) });
        assert.throws(() => pool.imapUnordered(f.square, [1], { chunksize }), { name: "RangeError", message: new RegExp(`^${name}.imapUnordered: chunksize must be a positive integer: got ${chunksize}$`) });
      }
      await assert.rejects(pool.starmap(f.add, [[1, 2], 3] as never), { name: "TypeError", message: new RegExp(`^${name}.starmap: each item must be an argument array: item 1 is number 3$`) });
      assert.throws(() => pool.starmapAsync(f.add, new Set([[1, 2], "ab"]) as never), { name: "TypeError", message: new RegExp(`^${name}.starmapAsync: each item must be an argument array: item 1 is "ab"$`) });
      assert.throws(() => pool.applyAsync(f.square, [1], { signal: "no" as never }), { name: "TypeError", message: /applyAsync: signal must be an AbortSignal/ });
      for (const processes of [0, -2, 1.5, Number.NaN]) {
        assert.throws(() => make({ processes }), { name: "RangeError", message: new RegExp(`^${name}: processes must be an integer of at least 1: got ${processes}$`) });
      }
      assert.throws(() => make({ maxtasksperchild: 0 }), { name: "RangeError", message: /maxtasksperchild must be a positive integer/ });
      assert.throws(() => make({ initializer: 7 as never }), { name: "TypeError", message: new RegExp(`^${name} initializer must be a function`) });
      assert.throws(() => make({ initargs: "x" as never }), { name: "TypeError", message: /initargs must be an array/ });
      // Nothing was left half-made: the pool still works.
      assert.equal(await pool.apply(f.square, [3]), 9);
    });

    test("initializer runs once per worker with initargs; one that throws breaks the pool", async (t) => {
      const pool = make({ initializer: f.init, initargs: ["ready"] });
      t.after(() => pool.terminate());
      assert.deepEqual(await pool.map(f.initValue, [1, 2, 3, 4] as never[], { chunksize: 1 }), ["ready", "ready", "ready", "ready"]);
      const broken = make({ initializer: f.failInit });
      t.after(() => broken.terminate());
      const error = await broken.apply(f.square, [1]).catch((e: Error) => e);
      assert.match(String(error), /initializer failed.*initializer broke/);
      assert.equal(broken.state, "TERMINATE");
      assert.throws(() => new Pool({ processes: 0 }), RangeError);
      assert.throws(() => new ThreadPool({ maxtasksperchild: 0 }), RangeError);
      assert.throws(() => new ThreadPool({ initializer: Math.max }), TypeError);
    });

    test("close: submitting throws at once, queued work finishes, join waits for the workers", async () => {
      const pool = make();
      assert.equal(pool.state, "RUN");
      await assert.rejects(pool.join(), /still running/);
      const results = Array.from({ length: 20 }, (_, i) => pool.applyAsync(f.slowSquare, [i, 2]));
      const iterator = pool.imap(f.square, [1, 2, 3]);
      pool.close();
      assert.equal(pool.state, "CLOSE");
      assert.throws(() => pool.applyAsync(f.square, [1]), /Cannot submit task: pool is closed/);
      // Calls that return a promise reject at once instead.
      await assert.rejects(pool.map(f.square, [1]), /pool is closed/);
      await assert.rejects(pool.apply(f.square, [1]), /pool is closed/);
      assert.throws(() => pool.imap(f.square, [1]), RangeError);
      const seen: number[] = [];
      for await (const value of iterator) seen.push(value);
      assert.deepEqual(seen, [1, 4, 9]);
      await pool.join();
      assert.deepEqual(await Promise.all(results), results.map((_, i) => i * i));
      assert.deepEqual(pool.workerIds, []);
    });

    test("await using terminates the pool (as Python's with-block)", async () => {
      let outside: InstanceType<typeof Pool> | InstanceType<typeof ThreadPool>;
      let pending: AsyncResult<number>;
      {
        await using pool = make();
        outside = pool;
        assert.equal(await pool.apply(f.square, [2]), 4);
        pending = pool.applyAsync(f.slowSquare, [1, 5_000]);
        await tick();
      }
      assert.equal(outside.state, "TERMINATE");
      assert.deepEqual(outside.workerIds, []);
      await assert.rejects(pending.get(), /pool was terminated/);
    });
  });
}

test("ThreadPool shares memory with its workers: SharedArrayBuffers and shoal locks are the same objects there", async (t) => {
  const pool = new ThreadPool({ processes: 2 });
  t.after(() => pool.terminate());
  const lock = new Lock();
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const returned = await pool.starmap(f.addUnderLock, [[lock, counter, 500], [lock, counter, 500], [lock, counter, 500]], { chunksize: 1 });
  assert.equal(counter[0], 1500);
  // What comes back is the same memory too.
  returned[0]!.fill(7);
  assert.equal(counter[0], 7);
});

test("Pool refuses shared memory at once: processes cannot share it", async (t) => {
  const pool = new Pool({ processes: 1 });
  t.after(() => pool.terminate());
  assert.throws(() => pool.applyAsync(f.identity, [new SharedArrayBuffer(4)]), TypeError);
});

test("a Pool worker is a daemonic child named after the worker, with the parent's authkey: shoal primitives in its arguments work", async (t) => {
  const pool = new Pool({ processes: 1 });
  t.after(() => pool.terminate());
  const [name, parentPid, daemon] = await pool.apply(f.workerIdentity, []);
  assert.match(name, /^PoolWorker-\d+:1$/);
  assert.equal(parentPid, process.pid);
  assert.equal(daemon, true);
  const event = new MpEvent();
  const queue = new MpQueue<string>();
  assert.equal(await pool.apply(f.useShared, [event, new MpLock(), queue]), 1);
  assert.equal(await event.isSet(), true);
  assert.equal(await queue.get({ timeout: 5000 }), "from the worker");
});

test("activeChildren() lists a Pool's workers, daemonic, until they end (as Python's active_children)", async () => {
  const pool = new Pool({ processes: 2 });
  assert.equal(await pool.apply(f.square, [3]), 9);
  const listed = activeChildren().filter((p) => p.name.startsWith("PoolWorker-"));
  assert.deepEqual(listed.map((p) => p.pid).sort(), [...pool.workerIds].sort());
  for (const worker of listed) {
    assert.equal(worker.daemon, true);
    assert.equal(worker.isAlive(), true);
    assert.throws(() => worker.start(), /only be started once/);
  }
  pool.close();
  await pool.join();
  await Promise.all(listed.map((worker) => worker.join()));
  assert.deepEqual(listed.map((worker) => worker.exitcode), [0, 0]);
  assert.deepEqual(activeChildren().filter((p) => p.name.startsWith("PoolWorker-")), []);
  // A thread pool's workers are threads: not children.
  const threads = new ThreadPool({ processes: 1 });
  assert.equal(await threads.apply(f.square, [2]), 4);
  assert.deepEqual(activeChildren(), []);
  await threads.terminate();
});
