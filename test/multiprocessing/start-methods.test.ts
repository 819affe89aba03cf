import { test } from "node:test";
import assert from "node:assert/strict";
import { Pool, ProcessError, Queue, WorkerProcess, getAllStartMethods, getContext, getStartMethod, setStartMethod, currentProcess } from "../../src/multiprocessing/index.js";
import { holdRLockUntil, reportIdentity } from "../fixtures/process-targets.js";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Event, RLock, currentThread } from "../../src/threading/index.js";

test("getContext('spawn') runs a Process and a Queue as Python's ctx.Process and ctx.Queue do", async () => {
  const ctx = getContext("spawn");
  assert.equal(ctx.getStartMethod(), "spawn");
  const q = new ctx.Queue<string>();
  assert.ok(q instanceof Queue);
  const p = new ctx.Process({ target: async (q: Queue<string>) => q.put("hello from the child"), args: [q] });
  p.start();
  assert.equal(await q.get({ timeout: 30_000 }), "hello from the child");
  await p.join();
  assert.equal(p.exitcode, 0);
  assert.equal(ctx.cpuCount() >= 1, true);
});

test("Pool({ context }): the spawn context's pool runs; another context's is refused, naming its pool", async () => {
  const pool = new Pool({ processes: 1, context: getContext("spawn") });
  try {
    assert.equal(await pool.apply(async (x: number) => x + 1, [1]), 2);
  } finally {
    await pool.terminate();
  }
  assert.throws(() => new Pool({ context: getContext("worker") }), /Pool: context: a "worker" context's pool is getContext\("worker"\)\.Pool/);
});

test("fork and forkserver are refused with the reason, unknown methods with the choices", () => {
  assert.throws(() => getContext("fork" as "spawn"), /"fork" is not available: Node has no fork\(\)/);
  assert.throws(() => setStartMethod("forkserver" as "spawn"), /setStartMethod: "forkserver" is not available/);
  assert.throws(() => getContext("threads" as "spawn"), /getContext: unknown start method "threads": expected one of "spawn", "worker"/);
  assert.deepEqual(getAllStartMethods(), ["spawn", "worker"]);
});

test("the start method is set once, unless forced; asking fixes the default; getContext() follows it", () => {
  assert.equal(getStartMethod({ allowNone: true }), null);
  assert.equal(getStartMethod(), "spawn");
  assert.equal(getContext().getStartMethod(), "spawn");
  assert.throws(() => setStartMethod("worker"), (error: unknown) => error instanceof ProcessError && /context has already been set/.test(error.message));
  setStartMethod("worker", { force: true });
  assert.equal(getStartMethod({ allowNone: true }), "worker");
  assert.equal(getContext().getStartMethod(), "worker");
  setStartMethod("spawn", { force: true });
});

test("getContext('worker') runs the target on a worker thread, sharing the thread primitives", async () => {
  const ctx = getContext("worker");
  assert.equal(ctx.getStartMethod(), "worker");
  const q = new ctx.Queue<unknown>();
  const p = new ctx.Process({ target: reportIdentity, args: [q], name: "reporter" });
  assert.ok(p instanceof WorkerProcess);
  assert.equal(p.pid, null);
  p.start();
  assert.deepEqual(await q.get({ timeout: 30_000 }), ["reporter", process.pid, currentProcess().name]);
  await p.join();
  assert.equal(p.exitcode, 0);
  assert.equal(p.isAlive(), false);
  assert.match(String(p), /name='reporter' stopped exitcode=0/);
});

test("a worker process's exit code: 1 when the target throws, the code given to process.exit", async () => {
  const ctx = getContext("worker");
  const thrower = new ctx.Process({
    target: () => {
      throw new Error("expected by the test");
    },
  });
  const exiter = new ctx.Process({ target: () => process.exit(3) });
  // As a spawned Process ends: a target that returns after setting process.exitCode exits with it.
  const setter = new ctx.Process({
    target: () => {
      process.exitCode = 5;
    },
  });
  thrower.start();
  exiter.start();
  setter.start();
  await Promise.all([thrower.join(), exiter.join(), setter.join()]);
  assert.equal(thrower.exitcode, 1);
  assert.equal(exiter.exitcode, 3);
  assert.equal(setter.exitcode, 5);
});

test("terminate() stops a busy worker process: exitcode -15, as after SIGTERM; join honours its timeout", async () => {
  const ctx = getContext("worker");
  const started = new Event();
  const p = new ctx.Process({
    target: (started: Event) => {
      started.set();
      for (;;);
    },
    args: [started],
  });
  p.start();
  assert.equal(await started.wait({ timeout: 30_000 }), true);
  await p.join({ timeout: 50 });
  assert.equal(p.isAlive(), true);
  assert.throws(() => p.close(), /Cannot close .*: process is still running/);
  p.terminate();
  await p.join();
  assert.equal(p.exitcode, -15);
  p.close();
  assert.throws(() => p.start(), RangeError);
  assert.throws(() => p.exitcode, /process object is closed/);
  assert.throws(() => p.isAlive(), /process object is closed/);
  assert.match(String(p), /^<WorkerProcess name='.*' closed>$/);
});

test("a worker process refuses what cannot reach a thread, at start, naming it", () => {
  const ctx = getContext("worker");
  const p = new ctx.Process({ target: () => undefined, args: [() => 1] });
  assert.throws(() => p.start(), /args/);
  assert.throws(() => new ctx.Process({ target: 42 as unknown as () => void }), /target must be a function/);
});

test("a worker process whose target throws prints \"Process NAME:\" and the stack on the parent's stderr", async () => {
  const index = new URL("../../src/multiprocessing/index.js", import.meta.url).href;
  const script = `
    const { getContext } = await import(${JSON.stringify(index)});
    const p = new (getContext("worker").Process)({ name: "doomed", target: () => { throw new TypeError("no luck"); } });
    p.start();
    await p.join();
    console.log("exitcode", p.exitcode);
  `;
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], { timeout: 60_000 });
  assert.equal(stdout.trim(), "exitcode 1");
  assert.match(stderr, /^Process doomed:\nTypeError: no luck\n\s+at /);
});

test("a worker process's thread owns an RLock as itself: neither the main thread nor another worker process gets in", async (t) => {
  const ctx = getContext("worker");
  const rlock = new RLock();
  const [held, go, otherHeld, otherGo] = [new Event(), new Event(), new Event(), new Event()];
  const out = new ctx.Queue<[string, number]>();
  const first = new ctx.Process({ target: holdRLockUntil, args: [rlock, held, go, out] });
  const second = new ctx.Process({ target: holdRLockUntil, args: [rlock, otherHeld, otherGo, out] });
  // A failed assertion must not leave the workers waiting for `go` and the test file hanging.
  t.after(() => [first, second].forEach((p) => p.isAlive() && p.terminate()));
  first.start();
  assert.equal(await held.wait({ timeout: 30_000 }), true);
  // Before, every worker process had the main thread's ident (1), and an RLock let them all in.
  assert.equal(await rlock.acquire({ timeout: 50 }), false, "the main thread must not enter the worker's RLock");
  second.start();
  assert.equal(await otherHeld.wait({ timeout: 100 }), false, "a second worker process must wait");
  go.set();
  assert.equal(await otherHeld.wait({ timeout: 30_000 }), true);
  otherGo.set();
  await first.join();
  await second.join();
  assert.deepEqual([first.exitcode, second.exitcode], [0, 0]);
  const [a, b] = [await out.get(), await out.get()];
  assert.deepEqual([a[0], b[0]], ["MainThread", "MainThread"], "a process's thread is its MainThread, as in Python's children");
  assert.equal(new Set([a[1], b[1], currentThread().ident]).size, 3, "with an ident of its own");
});

test("a worker process of a subclass is named after its class, as the spawn context's and Python's are (it was Process-N)", () => {
  const ctx = getContext("worker");
  class Fetcher extends ctx.Process {}
  assert.match(new Fetcher({ target: () => undefined }).name, /^Fetcher-\d+$/);
  assert.match(new ctx.Process({ target: () => undefined }).name, /^Process-\d+$/);
  assert.equal(new Fetcher({ target: () => undefined, name: "mine" }).name, "mine");
});
