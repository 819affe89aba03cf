/**
 * Connections read their sockets directly while a reply is on its way (spin-read.ts) and write
 * small messages straight to the kernel (socket-io.ts): messages must still arrive whole, in order,
 * and on the right connection.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Pipe, Process, type Connection } from "../../src/multiprocessing/index.js";
import { spinCounts } from "../../src/multiprocessing/spin-read.js";
import { echo } from "../fixtures/process-targets.js";

test("a round trip with a child is answered by the spinning read", async () => {
  const [mine, theirs] = await Pipe();
  const child = new Process({ target: echo, args: [theirs] });
  child.start();
  try {
    const before = spinCounts();
    for (let i = 0; i < 500; i++) {
      await mine.send(i);
      assert.equal(await mine.recv(), i);
    }
    const after = spinCounts();
    // Most replies come while spinning; a loaded machine may miss some, never all.
    assert.ok(after.found - before.found > 50, `spins found ${after.found - before.found} of 500 replies`);
  } finally {
    mine.close();
    await child.join({ timeout: 30_000 });
  }
});

test("small messages sent behind a large one that the kernel cannot take at once keep their order", async () => {
  const [a, b] = await Pipe();
  try {
    const big = Buffer.alloc(8 * 1024 * 1024, 7);
    const sends = [a.sendBytes(big)];
    for (let i = 0; i < 1000; i++) sends.push(a.send(i));
    assert.equal((await b.recvBytes()).length, big.length);
    for (let i = 0; i < 1000; i++) assert.equal(await b.recv(), i);
    await Promise.all(sends);
  } finally {
    a.close();
    b.close();
  }
});

test("messages of every size from a child arrive whole, read partly by spins and partly by the stream", async () => {
  const [mine, theirs] = await Pipe();
  const child = new Process({
    target: async (conn: Connection) => {
      for (let i = 0; i < 200; i++) {
        const size = i % 3 === 0 ? 300 * 1024 + i : i % 3 === 1 ? 1 : 70_000 + i;
        await conn.sendBytes(Buffer.alloc(size, i & 0xff));
        if (i % 10 === 0) await conn.recv(); // a round trip now and then, so that the parent spins
      }
      conn.close();
    },
    args: [theirs],
  });
  child.start();
  try {
    for (let i = 0; i < 200; i++) {
      const size = i % 3 === 0 ? 300 * 1024 + i : i % 3 === 1 ? 1 : 70_000 + i;
      const bytes = await mine.recvBytes();
      assert.equal(bytes.length, size, `message ${i}`);
      assert.ok(bytes.every((byte) => byte === (i & 0xff)), `message ${i} holds its own bytes`);
      if (i % 10 === 0) await mine.send("go");
    }
  } finally {
    mine.close();
    await child.join({ timeout: 30_000 });
  }
  assert.equal(child.exitcode, 0);
});

for (const count of [4, 24]) {
  test(`${count} connections waiting at once each get their own messages`, async () => {
    const pairs = await Promise.all(Array.from({ length: count }, () => Pipe()));
    const child = new Process({
      target: async (ends: Connection[]) => {
        await Promise.all(ends.map(async (conn, k) => {
          for (let i = 0; i < 50; i++) await conn.send([k, i, await conn.recv()]);
        }));
      },
      args: [pairs.map(([, theirs]) => theirs)],
    });
    child.start();
    try {
      await Promise.all(pairs.map(async ([mine], k) => {
        for (let i = 0; i < 50; i++) {
          await mine.send(k * 1000 + i);
          assert.deepEqual(await mine.recv(), [k, i, k * 1000 + i]);
        }
      }));
    } finally {
      for (const [mine] of pairs) mine.close();
      await child.join({ timeout: 30_000 });
    }
    assert.equal(child.exitcode, 0);
  });
}
