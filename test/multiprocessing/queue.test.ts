import { test } from "node:test";
import assert from "node:assert/strict";
import { Process, Queue, SimpleQueue, JoinableQueue, Empty, Full, Lock, Pipe, ProcessError } from "../../src/multiprocessing/index.js";

function started(p: Process, t: { after(fn: () => void): void }): Process {
  t.after(() => {
    if (p.isAlive()) p.kill();
  });
  p.start();
  return p;
}

test("items put by a child arrive in order in the parent, shoal objects inside working", async (t) => {
  const q = new Queue<unknown>();
  const lock = new Lock();
  const p = started(
    new Process({
      target: async (q: Queue<unknown>, lock: Lock) => {
        for (let i = 0; i < 1000; i++) await q.put(i);
        await q.put({ lock, nested: [new Map([["k", 1]])] });
      },
      args: [q, lock],
    }),
    t,
  );
  for (let i = 0; i < 1000; i++) assert.equal(await q.get({ timeout: 10_000 }), i);
  const last = (await q.get()) as { lock: Lock; nested: unknown[] };
  assert.equal(last.lock, lock, "the owner gets its own lock back");
  assert.deepEqual(last.nested, [new Map([["k", 1]])]);
  await p.join();
  assert.equal(p.exitcode, 0);
});

test("a consumer child gets what the parent puts; two consumers share the items without loss", async (t) => {
  const work = new Queue<number>();
  const done = new Queue<number[]>();
  const consumer = async (work: Queue<number>, done: Queue<number[]>): Promise<void> => {
    const got: number[] = [];
    for (;;) {
      const item = await work.get();
      if (item < 0) break;
      got.push(item);
    }
    await done.put(got);
  };
  const a = started(new Process({ target: consumer, args: [work, done] }), t);
  const b = started(new Process({ target: consumer, args: [work, done] }), t);
  for (let i = 0; i < 5000; i++) await work.put(i);
  await work.put(-1);
  await work.put(-1);
  const all = [...(await done.get({ timeout: 20_000 })), ...(await done.get({ timeout: 20_000 }))].sort((x, y) => x - y);
  assert.equal(all.length, 5000);
  assert.deepEqual(all, Array.from({ length: 5000 }, (_, i) => i));
  await a.join();
  await b.join();
});

test("get rejects Empty after its timeout or at once without blocking; put rejects Full on a bounded queue", async () => {
  const q = new Queue<number>(2);
  await assert.rejects(q.get({ block: false }), Empty);
  const started = performance.now();
  await assert.rejects(q.get({ timeout: 50 }), Empty);
  assert.ok(performance.now() - started >= 45);
  await q.put(1);
  await q.put(2);
  assert.equal(await q.full(), true);
  await assert.rejects(q.put(3, { timeout: 30 }), Full);
  await assert.rejects(q.putNowait(3), Full);
  assert.equal(await q.qsize(), 2);
  assert.equal(await q.get(), 1);
  await q.put(3);
  assert.deepEqual([await q.get(), await q.get()], [2, 3]);
  assert.equal(await q.empty(), true);
  assert.throws(() => q.getNowait(), Empty);
  // As Python's: 0 or less is unbounded; a fraction is refused.
  const unbounded = new Queue<number>(-1);
  assert.equal(unbounded.maxsize, 0);
  for (let i = 0; i < 5; i++) await unbounded.put(i, { timeout: 1000 });
  assert.equal(await unbounded.full(), false);
  assert.throws(() => new Queue(1.5), /Queue: maxsize must be an integer: got number 1.5/);
});

test("a put blocked on a full queue resumes when a child takes an item", async (t) => {
  const q = new Queue<string>(1);
  await q.put("first");
  const p = started(
    new Process({
      target: async (q: Queue<string>) => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        await q.get();
      },
      args: [q],
    }),
    t,
  );
  await q.put("second", { timeout: 10_000 });
  await p.join();
  assert.equal(await q.get(), "second");
});

test("JoinableQueue: join waits until a child has marked every item done", async (t) => {
  const q = new JoinableQueue<number>();
  for (let i = 0; i < 20; i++) await q.put(i);
  const p = started(
    new Process({
      target: async (q: JoinableQueue<number>) => {
        for (let i = 0; i < 20; i++) {
          await q.get();
          await q.taskDone();
        }
      },
      args: [q],
    }),
    t,
  );
  await q.join();
  assert.equal(await q.qsize(), 0);
  await assert.rejects(q.taskDone(), RangeError);
  await p.join();
});

test("SimpleQueue carries values between processes", async (t) => {
  const q = new SimpleQueue<string>();
  const p = started(new Process({ target: async (q: SimpleQueue<string>) => q.put("simple"), args: [q] }), t);
  assert.equal(await q.get(), "simple");
  assert.equal(await q.empty(), true);
  await p.join();
});

test("after close(), get and getNowait throw at once, as Python's do, instead of waiting forever", async (t) => {
  for (const q of [new SimpleQueue<number>(), new Queue<number>(), new JoinableQueue<number>()]) {
    await q.put(1);
    q.close();
    const kind = q.constructor.name;
    await assert.rejects(q.get(), (error: Error) => error instanceof ProcessError && error.message === `Cannot get an item: the ${kind} is closed`);
    assert.throws(() => q.getNowait(), ProcessError);
    await assert.rejects(q.put(2), ProcessError);
  }
  // The items this process put before close() still reach the owner, and other processes go on.
  const q = new Queue<string>();
  const p = started(new Process({ target: async (q: Queue<string>) => { await q.put("a"); q.close(); }, args: [q] }), t);
  assert.equal(await q.get({ timeout: 10_000 }), "a");
  await p.join();
  assert.equal(p.exitcode, 0);
});

test("close() ends a get of this process still waiting, here and in a child (it waited forever, keeping the process alive)", { timeout: 30_000 }, async (t) => {
  const closed = (kind: string) => `ProcessError: Cannot get an item: the ${kind} is closed`;
  const outcome = (p: Promise<unknown>): Promise<string> => p.then((v) => `got ${String(v)}`, (e: Error) => `${e.constructor.name}: ${e.message}`);
  for (const q of [new SimpleQueue<number>(), new Queue<number>(), new JoinableQueue<number>()]) {
    const waiting = outcome(q.get());
    q.close();
    assert.equal(await waiting, closed(q.constructor.name));
  }
  const q = new Queue<number>();
  const out = new Queue<string>();
  const p = started(
    new Process({
      target: async (q: Queue<number>, out: Queue<string>) => {
        const waiting = q.get().then((v) => `got ${String(v)}`, (e: Error) => `${e.constructor.name}: ${e.message}`);
        q.close();
        await out.put(await waiting);
      },
      args: [q, out],
    }),
    t,
  );
  assert.equal(await out.get({ timeout: 10_000 }), closed("Queue"));
  await p.join();
  assert.equal(p.exitcode, 0);
  // The cancelled get took nothing: the next item is the owner's.
  await q.put(7);
  assert.equal(await q.get({ timeout: 10_000 }), 7);
});

test("gets sharing one signal take their abort listener off it as they settle (they piled up, one a get)", async (t) => {
  const work = new Queue<number>();
  const acks = new Queue<number>();
  const p = started(
    new Process({
      target: async (work: Queue<number>, acks: Queue<number>) => {
        const { EventEmitter } = await import("node:events");
        const signal = new AbortController().signal;
        for (let i = 0; i < 20; i++) await acks.put(await work.get({ signal }));
        await acks.put(EventEmitter.getEventListeners(signal, "abort").length);
      },
      args: [work, acks],
    }),
    t,
  );
  // One item at a time, so that every get asks the owner.
  for (let i = 0; i < 20; i++) {
    await work.put(i);
    assert.equal(await acks.get({ timeout: 10_000 }), i);
  }
  assert.equal(await acks.get({ timeout: 10_000 }), 0, "abort listeners left on the signal");
  await p.join();
  assert.equal(p.exitcode, 0);
});

test("a child killed while using a queue leaves it usable by the others", async (t) => {
  const q = new Queue<number>();
  const victim = started(
    new Process({
      target: async (q: Queue<number>) => {
        await q.put(1);
        await new Promise(() => setInterval(() => undefined, 1000));
      },
      args: [q],
    }),
    t,
  );
  assert.equal(await q.get({ timeout: 10_000 }), 1);
  victim.kill();
  await victim.join();
  assert.equal(victim.exitcode, -9);
  const p = started(new Process({ target: async (q: Queue<number>) => q.put(2), args: [q] }), t);
  assert.equal(await q.get({ timeout: 10_000 }), 2);
  await p.join();
});

test("an item that cannot be serialized is refused at once, naming it", async () => {
  const q = new Queue<unknown>();
  await assert.rejects(q.put({ f: () => 1 }), /Queue\.put item\.f: cannot send a function/);
});

test("a Connection inside a queue item is refused at once, saying how to connect processes instead", async () => {
  const q = new Queue<unknown>();
  const [a, b] = await Pipe();
  try {
    await assert.rejects(q.put({ conn: a }), /Queue\.put item\.conn: a Connection can go to another process only as an argument of a Process/);
    assert.equal(a.closed, false, "the connection is still usable");
    await a.send(1);
    assert.equal(await b.recv(), 1);
  } finally {
    a.close();
    b.close();
  }
});

test("items put just before process.exit() arrive: before the connection to the owner is up, and after", async (t) => {
  const q = new Queue<number[]>();
  // Three children put and exit at once: their connection to the owner is not up yet.
  const quick = [0, 1, 2].map((tag) =>
    started(
      new Process({
        target: async (q: Queue<number[]>, tag: number) => {
          for (let i = 0; i < 2000; i++) await q.put([tag, i]);
          process.exit(3);
        },
        args: [q, tag],
      }),
      t,
    ),
  );
  // This one talks to the owner first, then puts more than the socket's buffer holds, then exits.
  const big = started(
    new Process({
      target: async (q: Queue<number[]>) => {
        await q.qsize();
        const filler = new Array<number>(20_000).fill(7);
        for (let i = 0; i < 100; i++) await q.put([3, i, ...filler]);
        process.exit(4);
      },
      args: [q],
    }),
    t,
  );
  await Promise.all([...quick, big].map((p) => p.join()));
  assert.deepEqual([...quick, big].map((p) => p.exitcode), [3, 3, 3, 4]);
  const next = [0, 0, 0, 0];
  for (let n = 0; n < 6100; n++) {
    const [tag, i, ...rest] = await q.get({ timeout: 5000 });
    assert.equal(i, next[tag!], `child ${tag}'s items in order`);
    next[tag!]! += 1;
    if (tag === 3) assert.equal(rest.length, 20_000);
  }
  assert.deepEqual(next, [2000, 2000, 2000, 100]);
});
