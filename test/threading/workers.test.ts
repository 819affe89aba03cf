import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Barrier,
  Condition,
  Event,
  Lock,
  RLock,
  Semaphore,
  Thread,
  setExcepthook,
  task,
  type ExceptHookArgs,
} from "../../src/threading/index.js";
import * as targets from "./fixtures/targets.js";

function shared(n: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * n));
}

async function runAll(threads: Thread<never[]>[] | Thread<unknown[]>[]): Promise<void> {
  for (const t of threads) t.start();
  for (const t of threads) await t.join();
}

test("4 worker threads x 100,000 increments under one Lock end at exactly 400,000", async () => {
  const counter = shared(1);
  const lock = new Lock();
  await runAll(Array.from({ length: 4 }, () => new Thread({ target: targets.incrementSync, args: [counter, lock, 100_000], worker: true })));
  assert.equal(counter[0], 400_000);
  const asyncCounter = shared(1);
  await runAll(Array.from({ length: 4 }, () => new Thread({ target: targets.incrementAsync, args: [asyncCounter, lock, 25_000], worker: true })));
  assert.equal(asyncCounter[0], 100_000);
  assert.equal(lock.locked(), false);
});

test("primitives inside arrays and objects arrive as the same primitives", async () => {
  const counter = shared(1);
  const lock = new Lock();
  const event = new Event();
  await lock.acquire();
  const t = new Thread({ target: targets.nested, args: [{ locks: [lock], deep: { event } }, counter], worker: true });
  t.start();
  assert.equal(await event.wait({ timeout: 200 }), false, "the worker waits for our lock");
  assert.equal(counter[0], 0);
  lock.release();
  assert.equal(await event.wait({ timeout: 10_000 }), true);
  await t.join();
  assert.equal(counter[0], 1);
});

test("RLock ownership crosses threads: a worker owns it, the main thread cannot take or release it", async () => {
  const rlock = new RLock();
  const held = new Event();
  const go = new Event();
  const t = new Thread({ target: targets.holdRLock, args: [rlock, held, go], worker: true });
  t.start();
  assert.equal(await held.wait({ timeout: 30_000 }), true, "the worker took the RLock");
  assert.equal(await rlock.acquire({ timeout: 20 }), false, "the main thread cannot take the worker's RLock");
  assert.throws(() => rlock.release(), { name: "ThreadError" });
  go.set();
  assert.equal(await rlock.acquire({ timeout: 30_000 }), true, "the main thread takes it once the worker released it");
  const out = shared(1);
  await runAll([new Thread({ target: targets.releaseForeign, args: [rlock, out], worker: true })]);
  assert.equal(out[0], 2, "a worker releasing the main thread's RLock gets ThreadError");
  rlock.release();
  await t.join();
});

test("Condition between an async main thread and workers (blocking and async)", async () => {
  for (const target of [targets.conditionWorker, targets.conditionWorkerAsync]) {
    const cond = new Condition(new Lock());
    const flag = shared(2);
    const t = new Thread({ target, args: [cond, flag], worker: true });
    t.start();
    await new Promise((resolve) => setTimeout(resolve, 30));
    await cond.acquire();
    flag[0] = 1;
    cond.notifyAll();
    assert.equal(await cond.waitFor(() => flag[1] === 1, { timeout: 10_000 }), true);
    cond.release();
    await t.join();
  }
});

test("a Semaphore bounds the workers inside; a Barrier gathers them", async () => {
  const sem = new Semaphore(2);
  const inside = shared(2);
  await runAll(Array.from({ length: 4 }, () => new Thread({ target: targets.semaphoreWorker, args: [sem, inside], worker: true })));
  assert.ok(inside[1]! <= 2 && inside[1]! >= 1);
  const barrier = new Barrier(3);
  const indices = shared(3);
  const threads = [0, 1].map((slot) => new Thread({ target: targets.barrierWorker, args: [barrier, indices, slot], worker: true }));
  for (const t of threads) t.start();
  indices[2] = await barrier.wait({ timeout: 10_000 });
  for (const t of threads) await t.join();
  assert.deepEqual([...indices].sort(), [0, 1, 2]);
});

test("self-contained functions travel by source; explicit task refs work", async () => {
  const out = new Float64Array(new SharedArrayBuffer(16));
  await runAll([
    new Thread({
      target: (o: Float64Array, x: number) => {
        o[0] = x * 2;
      },
      args: [out, 21],
      worker: true,
    }),
  ]);
  assert.equal(out[0], 42);
  const who = new Thread({ target: task<typeof targets.whoAmI>(new URL("./fixtures/targets.js", import.meta.url).href, "whoAmI"), args: [out], worker: true });
  await runAll([who]);
  assert.equal(out[0], who.ident, "inside the worker, currentThread() is that Thread");
  assert.equal(out[1], who.nativeId);
});

test("what cannot cross fails at once, saying where and why", () => {
  assert.throws(
    () => new Thread({ target: targets.nested, args: [{ locks: [], deep: { event: new Event(), handler: () => 1 } } as never, shared(1)], worker: true }).start(),
    { name: "TypeError", message: /^Thread args\[0\]\.deep\.handler: cannot send a function/ },
  );
  assert.throws(() => new Thread({ target: Math.max, worker: true }), { name: "TypeError", message: /Thread target: .*native/ });
  assert.throws(() => new Thread({ target: targets.fails.bind(null), worker: true }), { name: "TypeError", message: /bound function/ });
  class Point {
    constructor(readonly x: number) {}
  }
  assert.throws(() => new Thread({ target: targets.fails, args: [new Point(1) as never], worker: true }).start(), {
    message: /Thread args\[0\]: cannot send an instance of Point/,
  });
  class Sub extends Thread {
    override run(): void {}
  }
  assert.throws(() => new Sub({ worker: true, target: targets.fails as never }).start(), { name: "ThreadError" });
});

test("a worker's exception goes to the parent's excepthook; the process goes on", async () => {
  const seen: ExceptHookArgs[] = [];
  const previous = setExcepthook((args) => seen.push(args));
  try {
    const t = new Thread({ target: targets.fails, args: ["from the worker"], worker: true, name: "worker-fails" });
    t.start();
    await t.join();
    const closure = 5;
    const c = new Thread({ target: () => closure, worker: true, name: "closure" });
    c.start();
    await c.join();
  } finally {
    setExcepthook(previous);
  }
  assert.equal(seen[0]?.thread?.name, "worker-fails");
  assert.equal(seen[0]?.excType, "RangeError");
  assert.match(String((seen[0]?.excValue as Error).message), /from the worker/);
  assert.match(String((seen[1]?.excValue as Error).message), /closure is not defined.*cannot use variables from its closure/);
});

test("a daemon worker does not hold the process; isAlive/nativeId", async () => {
  const t = new Thread({ target: targets.linger, args: [60_000], worker: true, daemon: true });
  t.start();
  assert.equal(t.isAlive(), true);
  assert.equal(typeof t.nativeId, "number");
  await t.join({ timeout: 10 });
  assert.equal(t.isAlive(), true);
  // The test file ends with this worker still sleeping: the runner must not hang on it.
});

test("a non-daemon async wait on another thread's lock keeps the process alive until it is served", async () => {
  const { execFile } = await import("node:child_process");
  const script = new URL("./fixtures/keep-alive.js", import.meta.url);
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, [script.pathname], { timeout: 20_000 }, (error, out) => (error ? reject(error) : resolve(out))),
  );
  assert.equal(stdout.trim(), "acquired true");
});

test("awaiting join() of a daemon thread keeps the process alive until the thread ends", async () => {
  const { execFile } = await import("node:child_process");
  const script = new URL("./fixtures/join-daemon.js", import.meta.url);
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, [script.pathname], { timeout: 20_000 }, (error, out) => (error ? reject(error) : resolve(out))),
  );
  assert.equal(stdout.trim(), "worker joined false\nloop joined false");
});

test("a worker's target and the event-loop Threads it starts keep their identities across awaits", async () => {
  const out = new Float64Array(new SharedArrayBuffer(32));
  const t = new Thread({ target: targets.whoAmIAcrossAwaits, args: [out], worker: true });
  t.start();
  await t.join();
  assert.equal(out[0], t.ident);
  assert.equal(out[1], out[2], "the inner Thread sees itself");
  assert.notEqual(out[1], t.ident);
  assert.equal(out[3], t.ident);
});

test("acquireSync sleeps while another thread holds the lock, instead of spinning", async () => {
  const lock = new Lock();
  const held = new Event();
  const t = new Thread({ target: targets.holdBriefly, args: [lock, held, 500], worker: true });
  t.start();
  try {
    await held.wait();
    const before = process.cpuUsage();
    const start = performance.now();
    assert.equal(lock.acquireSync(), true);
    const waited = performance.now() - start;
    const used = process.cpuUsage(before);
    lock.release();
    // Spinning would burn about as much CPU as it waited (a whole core); sleeping, next to none.
    assert.ok(waited > 200, `waited ${waited} ms`);
    assert.ok((used.user + used.system) / 1000 < waited / 3, `used ${(used.user + used.system) / 1000} ms of CPU in ${waited} ms`);
  } finally {
    await t.join();
  }
});
