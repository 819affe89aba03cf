/**
 * Pool and ThreadPool when things go wrong: workers that die mid-task, recycling, terminate().
 * Python's Pool hangs forever when a worker dies; these tests pin that shoal does not.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { Writable } from "node:stream";
import { setImmediate as tick } from "node:timers/promises";
import { Pool, ThreadPool, WorkerLostError, PoolTerminatedError } from "../../src/multiprocessing/pool/index.js";
import * as f from "./pool-fixtures.js";

type AnyPool = Pool | ThreadPool;
type Doomed = { get(options: { timeout: number }): Promise<unknown> };

/** A stream that keeps what the workers write to stderr, so it shows in the assertions, not the test output. */
function collector(): Writable & { text: string } {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      sink.text += chunk.toString();
      done();
    },
  }) as Writable & { text: string };
  sink.text = "";
  return sink;
}

/** Submits `doomed` among ordinary tasks; the doomed one fails, every other one completes. Returns its error. */
async function survives(pool: AnyPool, doomed: () => Doomed, pattern: RegExp): Promise<WorkerLostError> {
  const before = pool.applyAsync(f.slowSquare, [3, 20]);
  await tick();
  const lost = doomed();
  const after = Array.from({ length: 12 }, (_, i) => pool.applyAsync(f.slowSquare, [i, 5]));
  const error = await lost.get({ timeout: 20_000 }).then(() => assert.fail("the doomed task resolved"), (e: unknown) => e);
  assert.ok(error instanceof WorkerLostError, `got ${String(error)}`);
  assert.match(error.message, pattern);
  assert.match(error.message, /worker (Thread)?PoolWorker-\d+:\d+/);
  assert.equal(await before, 9);
  assert.deepEqual(await Promise.all(after), after.map((_, i) => i * i));
  // The pool is whole again: a replacement took the dead worker's place.
  assert.equal(pool.workerIds.length, pool.processes);
  assert.equal(await pool.apply(f.square, [6]), 36);
  return error;
}

/** A worker dying in the middle of a batch keeps the results it finished before, and blames no one else. */
async function batchSurvives(pool: AnyPool): Promise<void> {
  await pool.map(f.square, Array.from({ length: 500 }, (_, i) => i), { chunksize: 1 }); // learn that tasks are short: big batches
  const before = Array.from({ length: 300 }, (_, i) => pool.applyAsync(f.square, [i]));
  const lost = pool.applyAsync(f.exitNow, [4]);
  const after = Array.from({ length: 300 }, (_, i) => pool.applyAsync(f.square, [i]));
  await assert.rejects(lost.get(), WorkerLostError);
  assert.deepEqual(await Promise.all(before), before.map((_, i) => i * i));
  assert.deepEqual(await Promise.all(after), after.map((_, i) => i * i));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

describe("Pool (processes)", () => {
  test("a worker calling process.exit mid-task fails that task only", async (t) => {
    const pool = new Pool({ processes: 2 });
    t.after(() => pool.terminate());
    await survives(pool, () => pool.applyAsync(f.exitNow, [3]), /\(pid \d+\) exited with code 3 while running it/);
  });

  test("a worker dying mid-batch keeps every result it finished", async (t) => {
    const pool = new Pool({ processes: 1 });
    t.after(() => pool.terminate());
    await batchSurvives(pool);
  });

  test("a worker crashing (uncaught exception outside the task) fails that task only", async (t) => {
    const stderr = collector();
    const pool = new Pool({ processes: 2, stderr });
    t.after(() => pool.terminate());
    const error = await survives(pool, () => pool.applyAsync(f.crashLater, []), /exited with code 1/);
    // The worker's last words reach the stream the pool was given, and the failed task's error.
    assert.match(stderr.text, /Error: crashed in a timer/);
    assert.match(error.stderr, /Error: crashed in a timer\n\s+at Timeout\._onTimeout/);
    assert.match(error.message, /while running it; its stderr ended with:\n(.*\n)* {2}Error: crashed in a timer/);
  });

  test("a worker killed from outside fails its task only", async (t) => {
    const pool = new Pool({ processes: 1 });
    t.after(() => pool.terminate());
    assert.equal(await pool.apply(f.square, [2]), 4);
    const [pid] = pool.workerIds;
    const hung = pool.applyAsync(f.hang, []);
    const after = Array.from({ length: 6 }, (_, i) => pool.applyAsync(f.square, [i]));
    await tick();
    process.kill(pid!, "SIGKILL");
    const error = await hung.get({ timeout: 20_000 }).catch((e: unknown) => e);
    assert.ok(error instanceof WorkerLostError, `got ${String(error)}`);
    assert.match(error.message, new RegExp(`worker PoolWorker-\\d+:1 \\(pid ${pid}\\) was killed by SIGKILL while running it`));
    assert.equal(error.pid, pid);
    assert.equal(error.stderr, "", "a worker that said nothing has no stderr lines");
    assert.deepEqual(await Promise.all(after), [0, 1, 4, 9, 16, 25]);
    assert.equal(isAlive(pid!), false);
    assert.notEqual(pool.workerIds[0], pid);
  });

  test("a worker running out of memory fails its task only", async (t) => {
    const pool = new Pool({ processes: 2, execArgv: ["--max-old-space-size=24"], stderr: null });
    t.after(() => pool.terminate());
    const error = await survives(pool, () => pool.applyAsync(f.exhaustMemory, []), /SIGABRT|out of memory|code 134/);
    // Dropped from the output, still kept for the error; V8's native stack does not crowd it out.
    assert.match(error.stderr, /FATAL ERROR: Reached heap limit/);
    assert.doesNotMatch(error.stderr, /0x[0-9a-f]+ v8::/);
    assert.match(error.message, /its stderr ended with:\n(.*\n)* {2}FATAL ERROR: Reached heap limit/);
  });

  test("maxtasksperchild recycles workers without losing queued tasks", async (t) => {
    const pool = new Pool({ processes: 2, maxtasksperchild: 3 });
    t.after(() => pool.terminate());
    const pids = await Promise.all(Array.from({ length: 18 }, () => pool.apply(f.pid, [])));
    const counts = new Map<number, number>();
    for (const pid of pids) counts.set(pid, (counts.get(pid) ?? 0) + 1);
    assert.ok(counts.size >= 6, `18 tasks at 3 per child ran in only ${counts.size} processes`);
    for (const [pid, n] of counts) assert.ok(n <= 3, `process ${pid} ran ${n} tasks`);
    assert.deepEqual(await pool.map(f.square, [1, 2, 3, 4, 5, 6, 7, 8], { chunksize: 1 }), [1, 4, 9, 16, 25, 36, 49, 64]);
    pool.close();
    await pool.join();
  });

  test("terminate() mid-run rejects what is outstanding, leaves no process alive, and returns", async () => {
    const pool = new Pool({ processes: 2 });
    const pids = pool.workerIds;
    assert.equal(pids.length, 2);
    const running = Array.from({ length: 6 }, () => pool.applyAsync(f.hang, []));
    const mapped = pool.mapAsync(f.sleepy, [1, 2, 3]);
    const iterator = pool.imap(f.sleepy, [1, 2, 3]);
    const next = assert.rejects(iterator.next(), PoolTerminatedError);
    await tick();
    await pool.terminate();
    assert.equal(pool.state, "TERMINATE");
    for (const result of running) await assert.rejects(result.get(), PoolTerminatedError);
    await assert.rejects(mapped.get(), PoolTerminatedError);
    await next;
    for (const pid of pids) assert.equal(isAlive(pid), false, `worker process ${pid} is still alive`);
    assert.deepEqual(pool.workerIds, []);
    assert.throws(() => pool.applyAsync(f.square, [1]), /pool is terminated/);
    await pool.join();
  });
});

test("Pool: terminate() also ends a worker that ignores SIGTERM", async (t) => {
  const pool = new Pool({ processes: 1 });
  t.after(() => pool.terminate());
  assert.equal(await pool.apply(f.square, [2]), 4);
  const [pid] = pool.workerIds;
  const stubborn = pool.applyAsync(f.ignoreSigterm, []);
  await tick();
  await pool.terminate();
  await assert.rejects(stubborn.get(), PoolTerminatedError);
  assert.equal(isAlive(pid!), false, `worker process ${pid} survived terminate()`);
});

test("Pool: a dead worker is reported at once even when a process it started still holds its stderr", async (t) => {
  const pool = new Pool({ processes: 1, stderr: null });
  t.after(() => pool.terminate());
  const started = Date.now();
  const error = await pool.apply(f.exitLeavingStderrOpen, []).catch((e: unknown) => e);
  assert.ok(error instanceof WorkerLostError, `got ${String(error)}`);
  const holder = Number(/holder pid (\d+)/.exec(error.stderr)?.[1]);
  t.after(() => {
    if (isAlive(holder)) process.kill(holder, "SIGKILL");
  });
  assert.ok(isAlive(holder), "the process holding stderr should still be running");
  assert.ok(Date.now() - started < 10_000, "the pool waited for the stderr holder");
  assert.equal(await pool.apply(f.square, [4]), 16);
});

describe("ThreadPool (worker threads)", () => {
  test("a worker calling process.exit mid-task fails that task only", async (t) => {
    const pool = new ThreadPool({ processes: 2 });
    t.after(() => pool.terminate());
    await survives(pool, () => pool.applyAsync(f.exitNow, [3]), /\(thread \d+\) exited with code 3 while running it/);
  });

  test("a worker dying mid-batch keeps every result it finished", async (t) => {
    const pool = new ThreadPool({ processes: 1 });
    t.after(() => pool.terminate());
    await batchSurvives(pool);
  });

  test("a worker crashing (uncaught exception outside the task) fails that task only", async (t) => {
    const pool = new ThreadPool({ processes: 2 });
    t.after(() => pool.terminate());
    await survives(pool, () => pool.applyAsync(f.crashLater, []), /died of an uncaught Error: crashed in a timer/);
  });

  test("a worker running out of memory fails its task only", async (t) => {
    const pool = new ThreadPool({ processes: 2, resourceLimits: { maxOldGenerationSizeMb: 24 } });
    t.after(() => pool.terminate());
    await survives(pool, () => pool.applyAsync(f.exhaustMemory, []), /ran out of memory/);
  });

  test("maxtasksperchild recycles workers without losing queued tasks", async (t) => {
    const pool = new ThreadPool({ processes: 2, maxtasksperchild: 3 });
    t.after(() => pool.terminate());
    const ids = await Promise.all(Array.from({ length: 18 }, () => pool.apply(f.threadInfo, [])));
    const counts = new Map<number, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    assert.ok(counts.size >= 6, `18 tasks at 3 per thread ran in only ${counts.size} threads`);
    for (const [id, n] of counts) assert.ok(n <= 3, `thread ${id} ran ${n} tasks`);
  });

  test("terminate() mid-run rejects what is outstanding, leaves no thread alive, and returns", async () => {
    // The process's OS threads (Linux): a worker thread is one; libuv's pool is warmed up first.
    const threads = (): number => readdirSync("/proc/self/task").length;
    await readFile(new URL(import.meta.url));
    const before = threads();
    const pool = new ThreadPool({ processes: 2 });
    const ids = pool.workerIds;
    await Promise.all([pool.apply(f.square, [1]), pool.apply(f.square, [2])]);
    assert.ok(threads() >= before + 2, "the worker threads should show in /proc/self/task");
    const running = Array.from({ length: 6 }, () => pool.applyAsync(f.hang, []));
    await tick();
    await pool.terminate();
    for (const result of running) await assert.rejects(result.get(), PoolTerminatedError);
    assert.deepEqual(pool.workerIds, []);
    assert.equal(ids.length, 2);
    assert.ok(threads() <= before, `${threads() - before} thread(s) left after terminate()`);
  });
});
