/**
 * The worker context's Pipe: ThreadConnection pairs built on thread-shared SimpleQueues, between
 * the main thread and worker threads (WorkerProcess, Thread({ worker: true }), ThreadPool).
 *
 * Every wait has a bound (a recv timeout, a join timeout) and every worker is stopped in t.after,
 * so that a broken pipe fails the test instead of hanging the file.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import {
  BufferTooShort,
  EOFError,
  Process,
  ProcessError,
  ThreadConnection,
  ThreadPool,
  TimeoutError,
  WorkerProcess,
  FrameError,
  getContext,
  threadPipe,
  wait,
} from "../../src/multiprocessing/index.js";
import { Queue, SimpleQueue } from "../../src/queue/index.js";
import { Thread } from "../../src/threading/index.js";
import { bytesSync, closeAfterOne, drainSync, echoSync, pingSync, pollSyncTwice, sendAndLeave } from "../fixtures/thread-pipe-targets.js";

const ctx = getContext("worker");
/** Upper bound of any one wait: far above what a passing run needs, so it only ends a broken one. */
const BOUND = 30_000;
const TEST_BOUND = { timeout: 120_000 };
/** The options of a receive that waits at most BOUND ms. */
const WITHIN = { timeout: BOUND };

/** Starts a worker process running `target(...args)`, stopped when the test ends whatever happened. */
function startWorker(t: TestContext, target: (...args: never[]) => unknown, args: unknown[]): WorkerProcess {
  const p = new ctx.Process({ target, args });
  t.after(() => p.terminate());
  p.start();
  return p;
}

async function joined(p: WorkerProcess): Promise<number | null> {
  await p.join(WITHIN);
  return p.exitcode;
}

test("ctx.Pipe is the thread pipe; a duplex round trip with a worker process echoing with recvSync until EOF", TEST_BOUND, async (t) => {
  assert.equal(ctx.Pipe, threadPipe);
  const [a, b] = ctx.Pipe();
  assert.ok(a instanceof ThreadConnection && b instanceof ThreadConnection);
  assert.deepEqual([a.readable, a.writable, a.closed], [true, true, false]);
  const worker = startWorker(t, echoSync, [b]);
  // Handing the end over moved it: the object left here is closed, and closing it (Python's idiom) is harmless.
  assert.equal(b.closed, true);
  b.close();
  assert.throws(() => b.send(1), (error: unknown) => error instanceof ProcessError && /handed to another thread \(Process-[\d:]+ args\[0\]\)/.test(error.message));

  const values: unknown[] = [42, "hello", null, { nested: [1, "two", { three: 3 }] }, new Map([["k", new Set([1, 2])]]), [undefined, -0, 2n ** 70n]];
  for (const value of values) {
    a.send(value);
    assert.deepEqual(await a.recv(WITHIN), value);
  }
  // The bytes: a copy made at send, echoed back as bytes.
  const bytes = Buffer.from("0123456789");
  a.sendBytes(bytes, 2, 5);
  bytes.fill(0);
  assert.equal((await a.recvBytes(WITHIN)).toString(), "23456");
  // A user's object that looks like the pipe's own items still arrives as it was sent.
  a.send({ __shoal_thread_pipe__: "end" });
  assert.deepEqual(await a.recv(WITHIN), { __shoal_thread_pipe__: "end" });
  // shoal objects inside a message arrive as working objects: a queue that went there and back is this queue.
  const q = new SimpleQueue<number>();
  a.send({ q });
  const back = (await a.recv(WITHIN)) as { q: SimpleQueue<number> };
  back.q.put(7);
  assert.equal(q.getNowait(), 7);
  // So does an end of another pipe: it travels to the worker and back, and works here again.
  const [c, d] = ctx.Pipe();
  a.send(d);
  const d2 = (await a.recv(WITHIN)) as ThreadConnection;
  assert.ok(d2 instanceof ThreadConnection && d2 !== d && d.closed && !d2.closed);
  c.send("through the travelled end");
  assert.equal(await d2.recv(WITHIN), "through the travelled end");

  a.close();
  assert.equal(await joined(worker), 0);
});

test("two worker processes talk through a pipe their parent made", TEST_BOUND, async (t) => {
  const [a, b] = ctx.Pipe();
  const results = new SimpleQueue<unknown>();
  const pinger = startWorker(t, pingSync, [a, 500, results]);
  const echoer = startWorker(t, echoSync, [b]);
  assert.equal(await results.get(WITHIN), "pinged 500");
  assert.deepEqual([await joined(pinger), await joined(echoer)], [0, 0]);
});

test("an end passed to Thread({ worker: true }) and to a ThreadPool task arrives working", TEST_BOUND, async (t) => {
  const [a, b] = ctx.Pipe();
  const thread = new Thread({ target: echoSync, args: [b], worker: true, daemon: true });
  thread.start();
  a.send("to a worker Thread");
  assert.equal(await a.recv(WITHIN), "to a worker Thread");
  a.close();
  await thread.join(WITHIN);
  assert.equal(thread.isAlive(), false);

  const pool = new ThreadPool({ processes: 1 });
  t.after(() => pool.terminate());
  const [c, d] = ctx.Pipe();
  const task = pool.apply(echoSync, [d]);
  c.send({ from: "the pool" });
  assert.deepEqual(await c.recv(WITHIN), { from: "the pool" });
  c.close();
  await task;
});

test("duplex: false gives [readOnly, writeOnly]; the wrong direction throws, naming it", TEST_BOUND, async () => {
  const [reader, writer] = ctx.Pipe({ duplex: false });
  assert.deepEqual([reader.readable, reader.writable, writer.readable, writer.writable], [true, false, false, true]);
  const readOnly = (error: unknown): boolean => error instanceof ProcessError && /Cannot send(Bytes)?: connection is read-only/.test(error.message);
  const writeOnly = (error: unknown): boolean => error instanceof ProcessError && /Cannot (recv|recvSync|poll|pollSync|recvBytes): connection is write-only/.test(error.message);
  assert.throws(() => reader.send(1), readOnly);
  assert.throws(() => reader.sendBytes(Buffer.from("x")), readOnly);
  await assert.rejects(writer.recv(WITHIN), writeOnly);
  await assert.rejects(writer.poll(), writeOnly);
  await assert.rejects(writer.recvBytes(WITHIN), writeOnly);
  assert.throws(() => writer.recvSync(WITHIN), writeOnly);
  assert.throws(() => writer.pollSync(), writeOnly);
  writer.send("one way");
  assert.equal(await reader.recv(WITHIN), "one way");
  // The reader closing makes a send fail at once, as writing to a pipe nobody reads.
  reader.close();
  assert.throws(
    () => writer.send(2),
    (error: unknown) => (error as { code?: string }).code === "EPIPE" && /other end of the connection has closed/.test((error as Error).message),
  );
});

test("after the peer closes, queued messages come first, then EOFError, for recv and recvSync alike", TEST_BOUND, async () => {
  const [a, b] = ctx.Pipe();
  a.send(1);
  a.sendBytes(Buffer.from("two"));
  a.send(3);
  a.close();
  assert.equal(await b.poll(), true);
  assert.equal(await b.recv(WITHIN), 1);
  assert.equal(b.recvBytesSync(WITHIN).toString(), "two");
  assert.equal(b.recvSync(WITHIN), 3);
  await assert.rejects(b.recv(WITHIN), (error: unknown) => error instanceof EOFError && /other end of the connection has closed/.test(error.message));
  assert.throws(() => b.recvSync(WITHIN), EOFError);
  await assert.rejects(b.recv(WITHIN), EOFError);
  assert.equal(b.pollSync(), true, "recv would not wait: it fails at once");
  // The closed end itself refuses everything, with the spawn Connection's error.
  assert.throws(() => a.send(4), (error: unknown) => error instanceof ProcessError && /Cannot send: connection is closed/.test(error.message));
  await assert.rejects(a.recv(WITHIN), (error: unknown) => error instanceof ProcessError && /Cannot recv: connection is closed/.test(error.message));
  assert.throws(() => b.send("to a closed end"), (error: unknown) => (error as { code?: string }).code === "EPIPE");
});

test("a pending recv rejects EOFError when a worker closes the other end", TEST_BOUND, async (t) => {
  const [a, b] = ctx.Pipe();
  a.send("close now");
  const pending = a.recv(WITHIN);
  const worker = startWorker(t, closeAfterOne, [b]);
  await assert.rejects(pending, EOFError);
  assert.equal(await joined(worker), 0);
});

test("recvSync in a worker drains the queued messages, then throws EOFError (twice)", TEST_BOUND, async (t) => {
  const [a, b] = ctx.Pipe();
  const results = new SimpleQueue<unknown>();
  a.send("first");
  a.send({ second: 2 });
  a.close();
  const worker = startWorker(t, drainSync, [b, results]);
  assert.deepEqual(await results.get(WITHIN), { received: ["first", { second: 2 }], again: "EOFError" });
  assert.equal(await joined(worker), 0);
});

test("an end whose worker ends without closing it is closed then: the peer gets the messages, then EOFError", TEST_BOUND, async (t) => {
  const [a, b] = ctx.Pipe();
  const worker = startWorker(t, sendAndLeave, [b, ["x", "y"]]);
  assert.equal(await a.recv(WITHIN), "x");
  assert.equal(await a.recv(WITHIN), "y");
  await assert.rejects(a.recv(WITHIN), EOFError);
  assert.equal(await joined(worker), 0);
});

test("poll and pollSync: false when the timeout passes with nothing, true once a message comes", TEST_BOUND, async (t) => {
  const [a, b] = ctx.Pipe();
  assert.equal(await a.poll(), false);
  assert.equal(await a.poll({ timeout: 20 }), false);
  assert.equal(a.pollSync({ timeout: 20 }), false);
  // A poll that is already waiting when the worker sends.
  const polling = a.poll(WITHIN);
  const sender = startWorker(t, sendAndLeave, [b, ["polled"]]);
  assert.equal(await polling, true);
  assert.equal(await a.recv({ timeout: 0 }), "polled");
  assert.equal(await joined(sender), 0);

  // pollSync in a worker: false after its timeout, then true once this thread sends.
  const [c, d] = ctx.Pipe();
  const results = new SimpleQueue<unknown>();
  const poller = startWorker(t, pollSyncTwice, [d, results]);
  assert.equal(await results.get(WITHIN), false);
  c.send("late");
  assert.deepEqual(await results.get(WITHIN), [true, "late"]);
  assert.equal(await joined(poller), 0);
});

test("recvBytes, recvBytesInto and BufferTooShort; maxlength makes the end unreadable; a value is not bytes", TEST_BOUND, async () => {
  const [a, b] = ctx.Pipe();
  a.sendBytes(new Uint8Array([1, 2, 3]));
  const into = Buffer.alloc(6);
  assert.equal(await b.recvBytesInto(into, 2, WITHIN), 3);
  assert.deepEqual([...into], [0, 0, 1, 2, 3, 0]);

  a.sendBytes(Buffer.from("too long"));
  a.sendBytes(Buffer.from("next"));
  await assert.rejects(b.recvBytesInto(Buffer.alloc(4), 0, WITHIN), (error: unknown) => {
    assert.ok(error instanceof BufferTooShort);
    assert.equal(error.received.toString(), "too long");
    return true;
  });
  assert.equal((await b.recvBytes(WITHIN)).toString(), "next", "the message too long for the buffer was consumed, as in Python");

  // A typed array sent with send() is bytes too; a value is refused by recvBytes and stays for recv.
  a.send(new Uint16Array([0x0201]));
  assert.deepEqual([...(await b.recvBytes(WITHIN))], [1, 2]);
  a.send({ not: "bytes" });
  await assert.rejects(b.recvBytes(WITHIN), (error: unknown) => error instanceof ProcessError && /Cannot recvBytes: the next message is an instance of Object, not bytes; receive it with recv\(\)/.test(error.message));
  assert.deepEqual(await b.recv(WITHIN), { not: "bytes" });

  a.sendBytes(Buffer.from("12345"));
  await assert.rejects(b.recvBytes({ maxlength: 3, ...WITHIN }), (error: unknown) => error instanceof FrameError && /5 bytes: longer than maxlength 3/.test(error.message));
  a.send("after");
  await assert.rejects(b.recv(WITHIN), FrameError);
});

test("the blocking byte calls in a worker: recvBytesIntoSync, BufferTooShort, recvBytesSync", TEST_BOUND, async (t) => {
  const [a, b] = ctx.Pipe();
  const results = new SimpleQueue<unknown>();
  const worker = startWorker(t, bytesSync, [b, results]);
  a.sendBytes(Buffer.from("abc"));
  a.sendBytes(Buffer.from("more than eight"));
  a.sendBytes(Buffer.from("whole"));
  assert.deepEqual(await results.get(WITHIN), [3, "..abc...", "BufferTooShort more than eight", "whole"]);
  assert.equal(await joined(worker), 0);
});

test("an end sent to a spawn Process fails at start() with a TypeError naming the argument; the end stays usable", TEST_BOUND, () => {
  const [a, b] = ctx.Pipe();
  const p = new Process({ target: echoSync, args: [b] });
  assert.throws(
    () => p.start(),
    (error: unknown) =>
      error instanceof TypeError &&
      /^Process-[\d:]+ args\[0\]: cannot send the worker context's ThreadConnection/.test(error.message) &&
      /use the "spawn" context's Pipe \(getContext\("spawn"\)\.Pipe\(\)\) between processes/.test(error.message),
  );
  assert.equal(b.closed, false);
  a.send("still here");
  assert.equal(b.recvSync({ timeout: 0 }), "still here");
});

test("an end cannot be handed over twice, nor while a message polled here is held", TEST_BOUND, async (t) => {
  const [a, b] = ctx.Pipe();
  const worker = startWorker(t, echoSync, [b]);
  assert.throws(() => new ctx.Process({ target: echoSync, args: [b] }).start(), /args\[0\]: cannot send a closed ThreadConnection to a worker thread \(it was already handed over as Process-[\d:]+ args\[0\]\)/);
  a.close();
  assert.equal(await joined(worker), 0);

  const [c, d] = ctx.Pipe();
  const polled = d.poll(WITHIN);
  c.send("held");
  assert.equal(await polled, true);
  assert.throws(() => new ctx.Process({ target: echoSync, args: [d] }).start(), /holds a message taken by poll\(\).*recv\(\) it first/);
  assert.equal(d.recvSync(WITHIN), "held");
});

test("waits end on their timeout (TimeoutError), on the signal (its reason), and when their own end closes", TEST_BOUND, async () => {
  const [a, b] = ctx.Pipe();
  await assert.rejects(b.recv({ timeout: 10 }), (error: unknown) => error instanceof TimeoutError && /Cannot recv: no message arrived within 10 ms/.test(error.message));
  assert.throws(() => b.recvSync({ timeout: 10 }), TimeoutError);
  await assert.rejects(b.recvBytes({ timeout: 0 }), TimeoutError);

  const controller = new AbortController();
  const aborted = b.recv({ signal: controller.signal, ...WITHIN });
  controller.abort(new Error("stop waiting"));
  await assert.rejects(aborted, /stop waiting/);
  // The aborted wait took nothing: the next message goes to the next recv.
  a.send("kept");
  assert.equal(await b.recv(WITHIN), "kept");
  await assert.rejects(b.recv({ signal: AbortSignal.abort(new Error("already")), ...WITHIN }), /already/);

  const pendingRecv = b.recv(WITHIN);
  const pendingPoll = b.poll(WITHIN);
  b.close();
  await assert.rejects(pendingRecv, (error: unknown) => error instanceof EOFError && /closed while waiting/.test(error.message));
  assert.equal(await pendingPoll, true);
});

test("bad arguments get clear errors, before anything is sent or taken", TEST_BOUND, async () => {
  const [a, b] = ctx.Pipe();
  // A message is waiting: a receive that skipped its checks would take it instead of hanging the test.
  a.send("bait");
  assert.throws(() => ctx.Pipe({ duplex: "no" as unknown as boolean }), /Pipe: duplex must be a boolean: got "no"/);
  assert.throws(() => ctx.Pipe(null as unknown as undefined), /Pipe: options must be an object: got null/);
  await assert.rejects(b.recv({ timeout: -1 }), (error: unknown) => error instanceof RangeError && /ThreadConnection.recv: timeout must not be negative: got -1/.test(error.message));
  assert.throws(() => b.recvSync({ timeout: Number.NaN }), (error: unknown) => error instanceof TypeError && /recvSync: timeout must be a number of milliseconds/.test(error.message));
  await assert.rejects(b.poll({ timeout: "1" as unknown as number }), /ThreadConnection.poll: timeout must be a number of milliseconds: got "1"/);
  assert.throws(() => b.pollSync({ timeout: -5 }), RangeError);
  await assert.rejects(b.recv({ signal: "no" as unknown as AbortSignal }), /ThreadConnection.recv: signal must be an AbortSignal/);
  await assert.rejects(b.recv(7 as unknown as undefined), /ThreadConnection.recv: options must be an object, not a number .*: got number 7/);
  await assert.rejects(b.recvBytes({ maxlength: -1 }), /recvBytes: maxlength must be a non-negative number of bytes: got number -1/);
  await assert.rejects(b.recvBytesInto(Buffer.alloc(4), 5), /recvBytesInto: offset must be an integer between 0 and 4: got number 5/);
  assert.throws(() => b.recvBytesIntoSync("buffer" as unknown as Buffer), /recvBytesIntoSync: buffer must be a Buffer, typed array or DataView/);
  assert.throws(() => a.sendBytes("text" as unknown as Buffer), /sendBytes: buffer must be an ArrayBuffer or a view of one/);
  assert.throws(() => a.sendBytes(Buffer.alloc(4), -1), /sendBytes: offset must be a non-negative integer: got number -1/);
  assert.throws(() => a.sendBytes(Buffer.alloc(4), 2, 3), /sendBytes: offset 2 \+ size 3 is beyond the buffer's 4 bytes/);
  assert.throws(() => new ThreadConnection(), /make a pair with getContext\("worker"\)\.Pipe\(\)/);
  // Nothing above was sent or taken.
  assert.equal(b.recvSync({ timeout: 0 }), "bait");
  assert.equal(b.pollSync(), false);
});

test("once the pipe spans threads, a value that cannot cross is refused at send, naming it", TEST_BOUND, async (t) => {
  const [a, b] = ctx.Pipe();
  const worker = startWorker(t, echoSync, [b]);
  assert.throws(() => a.send({ handler: () => 1 }), (error: unknown) => error instanceof TypeError && /^ThreadConnection\.send value\.handler: cannot send a function/.test(error.message));
  a.send("still fine");
  assert.equal(await a.recv(WITHIN), "still fine");
  a.close();
  assert.equal(await joined(worker), 0);
});

test("using: the end is closed at the end of the block", TEST_BOUND, async () => {
  const [a, b] = ctx.Pipe();
  {
    using end = a;
    end.send("last words");
  }
  assert.equal(a.closed, true);
  assert.equal(await b.recv(WITHIN), "last words");
  await assert.rejects(b.recv(WITHIN), EOFError);
  {
    await using end = b;
    assert.equal(end.closed, false);
  }
  assert.equal(b.closed, true);
});

test("a start() that fails on a later argument leaves the end here and open; one end twice in a value is refused", async () => {
  const [a, b] = ctx.Pipe();
  // Before, the end was moved out while the arguments were still encoding: the failed start()
  // left it closed here and nowhere else, and its peer waited for ever.
  const failing = new ctx.Process({ target: echoSync, args: [b, () => 1] });
  assert.throws(() => failing.start(), TypeError);
  assert.equal(b.closed, false);
  a.send("still here");
  assert.equal(await b.recv({ timeout: 30_000 }), "still here");
  const twice = new ctx.Process({ target: echoSync, args: [b, b] });
  assert.throws(() => twice.start(), /cannot send one ThreadConnection twice in one value \(it goes as .*args\[0\] already\)/);
  b.send("and still");
  assert.equal(await a.recv({ timeout: 30_000 }), "and still");
  a.close();
  b.close();
});

test("wait() watches thread connections: none ready within the timeout, then the one with a message; its poll ends with it", async (t) => {
  const [a, b] = ctx.Pipe();
  const [c, d] = ctx.Pipe();
  assert.deepEqual(await wait([b, d], { timeout: 50 }), []);
  a.send("for b");
  assert.deepEqual(await wait([b, d], { timeout: 30_000 }), [b]);
  assert.equal(await b.recv({ timeout: 30_000 }), "for b");
  // No poll of the finished wait is left on d: it can be handed to a worker, which echoes.
  const p = new ctx.Process({ target: echoSync, args: [d] });
  t.after(() => p.isAlive() && p.terminate());
  p.start();
  c.send("echo me");
  assert.equal(await c.recv({ timeout: 30_000 }), "echo me");
  c.close();
  await p.join({ timeout: 30_000 });
  a.close();
  assert.deepEqual(await wait([b], { timeout: 30_000 }), [b], "the end of the stream is ready too");
  await assert.rejects(b.recv(), EOFError);
});

test("a Pipe end put into a queue shared with threads and taken back by the same thread is the same end, open (it used to come back closed)", TEST_BOUND, async () => {
  const q = new Queue<unknown>();
  // Sharing the queue with a worker thread moves its items to shared memory.
  const t = new Thread({ target: async (shared: Queue<unknown>) => void shared, args: [q], worker: true });
  t.start();
  await t.join();
  const [a, b] = ctx.Pipe();
  await q.put(a);
  const back = await q.get(WITHIN);
  assert.equal(back, a);
  assert.equal(a.closed, false);
  a.send("through the end that came back");
  assert.equal(await b.recv(), "through the end that came back");

  // Inside another value, too.
  const [c, d] = ctx.Pipe();
  await q.put({ reply: c, note: "hi" });
  const item = (await q.get(WITHIN)) as { reply: ThreadConnection; note: string };
  assert.equal(item.reply, c);
  d.send("reply");
  assert.equal(await item.reply.recv(), "reply");
});
