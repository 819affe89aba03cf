import { test } from "node:test";
import assert from "node:assert/strict";
import { Pipe, Process, EOFError, BufferTooShort, ProcessError, type Connection } from "../../src/multiprocessing/index.js";
import { FrameError } from "../../src/multiprocessing/errors.js";

test("values cross a Pipe both ways in order", async () => {
  const [a, b] = await Pipe();
  try {
    const values = [1, "two", [3, null], { four: new Map([[4, new Set([4])]]) }, new Date(5), 6n, undefined];
    for (const v of values) await a.send(v);
    for (const v of values) assert.deepEqual(await b.recv(), v);
    await b.send("back");
    assert.equal(await a.recv(), "back");
  } finally {
    a.close();
    b.close();
  }
});

test("sendBytes, recvBytes and recvBytesInto move bytes; a short buffer gets BufferTooShort with the message", async () => {
  const [a, b] = await Pipe();
  try {
    const big = Buffer.alloc(3 * 1024 * 1024, 9);
    await a.sendBytes(Buffer.from("0123456789"), 2, 5);
    assert.equal((await b.recvBytes()).toString(), "23456");
    const sent = a.sendBytes(big);
    assert.deepEqual(await b.recvBytes(), big);
    await sent;
    await a.sendBytes(Buffer.from("abcdef"));
    const into = Buffer.alloc(10);
    assert.equal(await b.recvBytesInto(into, 2), 6);
    assert.equal(into.subarray(2, 8).toString(), "abcdef");
    await a.sendBytes(Buffer.from("too long"));
    await assert.rejects(b.recvBytesInto(Buffer.alloc(4)), (error: unknown) => error instanceof BufferTooShort && error.received.toString() === "too long");
    assert.throws(() => a.sendBytes(Buffer.alloc(4), 3, 2), RangeError);
  } finally {
    a.close();
    b.close();
  }
});

test("recvBytes over maxlength throws and leaves the connection unreadable", async () => {
  const [a, b] = await Pipe();
  try {
    await a.sendBytes(Buffer.alloc(100));
    await assert.rejects(b.recvBytes({ maxlength: 10 }), FrameError);
    await a.sendBytes(Buffer.alloc(1));
    await assert.rejects(b.recvBytes(), FrameError);
  } finally {
    a.close();
    b.close();
  }
});

test("poll waits up to its timeout and sees messages and EOF", async () => {
  const [a, b] = await Pipe();
  try {
    assert.equal(await b.poll(), false);
    const started = performance.now();
    assert.equal(await b.poll({ timeout: 50 }), false);
    assert.ok(performance.now() - started >= 45);
    setTimeout(() => void a.send("x"), 20);
    assert.equal(await b.poll({ timeout: 5000 }), true);
    assert.equal(await b.recv(), "x");
    a.close();
    assert.equal(await b.poll({ timeout: 5000 }), true);
    await assert.rejects(b.recv(), EOFError);
  } finally {
    a.close();
    b.close();
  }
});

test("poll() without a timeout sees a message or EOF already with the kernel, as Python's select does", async () => {
  for (let round = 0; round < 20; round++) {
    const [a, b] = await Pipe();
    try {
      await a.send({ round });
      assert.equal(await b.poll(), true, `round ${round}: a message sent and flushed is there to receive`);
      assert.deepEqual(await b.recv(), { round });
      await a.sendBytes(Buffer.from("raw"));
      assert.equal(await b.poll(), true);
      assert.equal((await b.recvBytes()).toString(), "raw");
      a.close();
      assert.equal(await b.poll(), true, `round ${round}: EOF is ready too`);
      await assert.rejects(b.recv(), EOFError);
    } finally {
      a.close();
      b.close();
    }
  }
});

test("poll() in a child handed an end with messages waiting keeps them in order (it read the socket past what the stream had read ahead)", { timeout: 30_000 }, async (t) => {
  const [a, b] = await Pipe();
  const [reportIn, reportOut] = await Pipe();
  t.after(() => (a.close(), reportIn.close()));
  // More than the stream reads ahead (one 64 KiB read) before anyone asks, so the rest waits in the kernel.
  for (let i = 0; i < 10; i++) await a.send({ i, pad: "x".repeat(20_000) });
  const child = new Process({
    target: async (conn: Connection, report: Connection) => {
      const polled = await conn.poll();
      const got: string[] = [];
      try {
        for (let i = 0; i < 10; i++) got.push(String(((await conn.recv()) as { i: number }).i));
      } catch (error) {
        got.push(`${(error as Error).name}: ${(error as Error).message}`);
      }
      await report.send({ polled, got });
    },
    args: [b, reportOut],
  });
  child.start();
  assert.deepEqual(await reportIn.recv({ timeout: 20_000 }), { polled: true, got: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"] });
  await child.join();
  assert.equal(child.exitcode, 0);
});

test("recv of bytes sent with sendBytes says so, and the connection goes on", async () => {
  const [a, b] = await Pipe();
  try {
    const refused = (error: Error): boolean =>
      error instanceof ProcessError && /^Cannot recv: the message \(3 bytes\) is not a value sent with send\(\); bytes sent with sendBytes\(\) are read with recvBytes\(\)/.test(error.message);
    await a.sendBytes(Buffer.from("raw"));
    await assert.rejects(b.recv(), refused, "a message already there");
    const waiting = b.recv();
    await a.sendBytes(Buffer.from("raw"));
    await assert.rejects(waiting, refused, "a message waited for");
    await a.send({ next: 1 });
    assert.deepEqual(await b.recv(), { next: 1 });
  } finally {
    a.close();
    b.close();
  }
});

test("recv on a closed end throws, and a recv pending when the peer closes rejects EOFError", async () => {
  const [a, b] = await Pipe();
  const pending = b.recv();
  a.close();
  await assert.rejects(pending, EOFError);
  await assert.rejects(a.recv(), ProcessError);
  assert.throws(() => a.send(1), /connection is closed/);
  assert.equal(a.closed, true);
  b.close();
});

test("using and await using close a Connection at the end of the block", async () => {
  const [a, b] = await Pipe();
  {
    using first = a;
    await first.send(1);
  }
  assert.equal(a.closed, true);
  assert.equal(await b.recv(), 1);
  await assert.rejects(b.recv(), EOFError);
  {
    await using second = b;
    assert.equal(second.closed, false);
  }
  assert.equal(b.closed, true);
});

test("Pipe({ duplex: false }) gives a reader and a writer", async () => {
  const [reader, writer] = await Pipe({ duplex: false });
  try {
    assert.equal(reader.writable, false);
    assert.equal(writer.readable, false);
    assert.throws(() => reader.send(1), /read-only/);
    await assert.rejects(writer.recv(), /write-only/);
    await writer.send({ ok: true });
    assert.deepEqual(await reader.recv(), { ok: true });
  } finally {
    reader.close();
    writer.close();
  }
});

test("a value that cannot be serialized is refused at once, naming it", async () => {
  const [a, b] = await Pipe();
  try {
    assert.throws(() => a.send({ handler: () => 1 }), /Connection\.send value\.handler: cannot send a function/);
  } finally {
    a.close();
    b.close();
  }
});

test("a message over maxMessageSize is refused with a clear error", async () => {
  const [a, b] = await Pipe({ maxMessageSize: 1000 });
  try {
    await a.sendBytes(Buffer.alloc(2000));
    await assert.rejects(b.recv(), /announced length 2000 bytes exceeds the limit of 1000 bytes/);
  } finally {
    a.close();
    b.close();
  }
});

test("sendBytes refuses what is not bytes, and Pipe refuses bad options, naming them", async () => {
  const [a, b] = await Pipe();
  try {
    for (const bad of ["abc", 5, null, [1, 2], { length: 3 }]) {
      assert.throws(() => a.sendBytes(bad as never), (error: Error) => {
        assert.ok(error instanceof TypeError, String(error));
        assert.match(error.message, /^Connection.sendBytes: buffer must be an ArrayBuffer or a view of one \(Buffer, Uint8Array, \.\.\.\): got /);
        return true;
      });
    }
    await a.sendBytes(new ArrayBuffer(2));
    assert.deepEqual(await b.recvBytes(), Buffer.alloc(2), "nothing else was sent");
  } finally {
    a.close();
    b.close();
  }
  await assert.rejects(Pipe({ duplex: "no" as never }), /^TypeError: Pipe: duplex must be a boolean: got "no"$/);
  await assert.rejects(Pipe(5 as never), /^TypeError: Pipe: options must be an object: got number 5$/);
  await assert.rejects(Pipe({ maxMessageSize: "1k" as never }), /^TypeError: Pipe: maxMessageSize must be a positive integer \(bytes\): got "1k"$/);
});
