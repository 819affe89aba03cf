/**
 * Waits take an options object: a bare number (Python's positional timeout, ported as is) is
 * refused with a TypeError naming the call, never ignored; and the options a wait documents are
 * honoured (a spawn Connection's receives take { timeout, signal }, JoinableQueue.join a timeout).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Barrier, Condition, Event, JoinableQueue, LoopPool, Pipe, Process, Queue, TimeoutError, wait } from "../../src/multiprocessing/index.js";

const POSITIONAL = /options must be an object, not a number \(a timeout goes in \{ timeout \}, in milliseconds\): got number 50/;

test("a positional number is refused by the waits of shoal/multiprocessing, naming the call", async (t) => {
  await assert.rejects(new Event().wait(50 as never), (error: Error) => error instanceof TypeError && /^Event.wait: /.test(error.message) && POSITIONAL.test(error.message));
  await assert.rejects(new Queue().get(50 as never), /Queue.get: options must be an object, not a number/);
  await assert.rejects(new Queue().put(1, 50 as never), /Queue.put: options must be an object, not a number/);
  await assert.rejects(new Barrier(2).wait(50 as never), /Barrier.wait: options must be an object, not a number/);
  const cond = new Condition();
  await cond.acquire();
  await assert.rejects(cond.wait(50 as never), /Condition.wait: options must be an object, not a number/);
  await cond.release();
  const [a, b] = await Pipe();
  t.after(() => (a.close(), b.close()));
  await assert.rejects(a.poll(50 as never), /Connection.poll: options must be an object, not a number/);
  await assert.rejects(a.recv(50 as never), /Connection.recv: options must be an object, not a number/);
  await assert.rejects(wait([a], 50 as never), /wait: options must be an object, not a number/);
  const p = new Process({ target: () => new Promise((resolve) => setTimeout(resolve, 20)) });
  p.start();
  await assert.rejects(p.join(50 as never), /Process.join: options must be an object, not a number/);
  await p.join();
  const pool = new LoopPool({ processes: 1 });
  t.after(() => pool.terminate());
  const result = pool.applyAsync(() => 1, []);
  await assert.rejects(result.get(50 as never), /AsyncResult.get: options must be an object, not a number/);
  assert.equal(await result.get(), 1);
});

test("a spawn Connection's recv, recvBytes and recvBytesInto take { timeout, signal }", async (t) => {
  const [a, b] = await Pipe();
  t.after(() => (a.close(), b.close()));
  await assert.rejects(a.recv({ timeout: 20 }), (error: Error) => error instanceof TimeoutError && /Cannot recv: no message arrived within 20 ms/.test(error.message));
  await assert.rejects(a.recvBytes({ timeout: 20 }), /Cannot recvBytes: no message arrived within 20 ms/);
  await assert.rejects(a.recvBytesInto(new Uint8Array(4), 0, { timeout: 20 }), /Cannot recvBytesInto: no message arrived within 20 ms/);
  const controller = new AbortController();
  const aborted = a.recv({ signal: controller.signal });
  controller.abort(new Error("stop"));
  await assert.rejects(aborted, /stop/);
  // A receive that gave up leaves nothing behind: the next message goes to the next receive.
  await b.send("after");
  assert.equal(await a.recv({ timeout: 5000 }), "after");
  await b.sendBytes(Buffer.from("bytes"));
  assert.deepEqual(await a.recvBytes({ timeout: 5000, maxlength: 10 }), Buffer.from("bytes"));
  const into = new Uint8Array(8);
  await b.sendBytes(Buffer.from("abc"));
  assert.equal(await a.recvBytesInto(into, 1, { timeout: 5000 }), 3);
  assert.deepEqual([...into.subarray(1, 4)], [97, 98, 99]);
});

test("JoinableQueue.join({ timeout }) resolves false when items stay unfinished, true once they are done", async () => {
  const q = new JoinableQueue<number>();
  await q.put(1);
  const started = performance.now();
  assert.equal(await q.join({ timeout: 50 }), false);
  assert.ok(performance.now() - started >= 45);
  await q.get();
  await q.taskDone();
  assert.equal(await q.join({ timeout: 5000 }), true);
});

test("bad arguments of shoal/multiprocessing get a TypeError or RangeError naming them", async () => {
  const { Lock, Manager, Pool, wait } = await import("../../src/multiprocessing/index.js");
  await assert.rejects(wait(5 as never), /^TypeError: wait: objects must be an array of connections, listeners, sockets, processes or sentinels: got number 5$/);
  assert.throws(() => new Pool({ processes: "x" as never }), /^TypeError: Pool: processes must be a number: got "x"$/);
  assert.throws(() => new LoopPool({ processes: "x" as never }), /^TypeError: LoopPool: processes must be a number: got "x"$/);
  const lock = new Lock();
  await assert.rejects(lock.withLock(5 as never), /^TypeError: Lock.withLock: fn must be a function: got number 5$/);
  assert.equal(await lock.locked(), false);
  await using manager = await Manager.start();
  const managed = await manager.Lock();
  assert.throws(() => managed.acquire({ blocking: false, timeout: 5 }), /^RangeError: LockProxy.acquire: cannot specify a timeout for a non-blocking call$/);
  assert.equal(await managed.acquire({ blocking: false }), true, "nothing was taken by the refused call");
});
