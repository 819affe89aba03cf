import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Process,
  Queue,
  Lock,
  RLock,
  Semaphore,
  BoundedSemaphore,
  Condition,
  Event,
  Barrier,
  Value,
  Array as SharedArray,
  ThreadError,
  BrokenBarrierError,
  EOFError,
  type SharedValue,
} from "../../src/multiprocessing/index.js";

function started(p: Process, t: { after(fn: () => void): void }): Process {
  t.after(() => {
    if (p.isAlive()) p.kill();
  });
  p.start();
  return p;
}

test("a Lock excludes across processes: four children increment a shared Value without losing updates", async (t) => {
  const lock = new Lock();
  const counter = Value("i", 0);
  const children = Array.from({ length: 4 }, () =>
    started(
      new Process({
        target: async (lock: Lock, counter: SharedValue<"i">) => {
          for (let i = 0; i < 50; i++) {
            await lock.acquire();
            try {
              const v = await counter.get();
              await new Promise((resolve) => setImmediate(resolve));
              await counter.set(v + 1);
            } finally {
              await lock.release();
            }
          }
        },
        args: [lock, counter],
      }),
      t,
    ),
  );
  for (const child of children) await child.join();
  assert.deepEqual(
    children.map((c) => c.exitcode),
    [0, 0, 0, 0],
  );
  assert.equal(await counter.get(), 200);
  assert.equal(await lock.locked(), false);
});

test("Lock: acquire with a timeout resolves false; releasing an unlocked lock rejects ThreadError", async () => {
  const lock = new Lock();
  assert.equal(await lock.acquire(), true);
  assert.equal(await lock.acquire({ timeout: 20 }), false);
  assert.equal(await lock.acquire({ blocking: false }), false);
  await lock.release();
  await assert.rejects(lock.release(), ThreadError);
  const controller = new AbortController();
  await lock.acquire();
  const waiting = lock.acquire({ signal: controller.signal });
  controller.abort(new Error("stop"));
  await assert.rejects(waiting, /stop/);
  await lock.release();
  assert.equal(await lock.locked(), false);
});

test("a lock held by a process that dies is released for the others and reported", async (t) => {
  const lock = new Lock();
  const q = new Queue<string>();
  const warnings: string[] = [];
  const onWarning = (warning: Error & { code?: string }): void => void (warning.code === "SHOAL_LOCK_OWNER_DIED" && warnings.push(warning.message));
  process.on("warning", onWarning);
  t.after(() => process.off("warning", onWarning));
  const holder = started(
    new Process({
      target: async (lock: Lock, q: Queue<string>) => {
        await lock.acquire();
        await q.put("holding");
        await new Promise(() => setInterval(() => undefined, 1000));
      },
      args: [lock, q],
    }),
    t,
  );
  assert.equal(await q.get({ timeout: 10_000 }), "holding");
  assert.equal(await lock.acquire({ timeout: 50 }), false);
  holder.kill();
  assert.equal(await lock.acquire({ timeout: 10_000 }), true);
  assert.equal(await lock.ownerDiedCount(), 1);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(warnings.length, 1);
  await lock.release();
});

test("RLock is re-entrant for its owner and refuses release by another process", async (t) => {
  const rlock = new RLock();
  assert.equal(await rlock.acquire(), true);
  assert.equal(await rlock.acquire(), true);
  const q = new Queue<string>();
  const p = started(
    new Process({
      target: async (rlock: RLock, q: Queue<string>) => {
        try {
          await rlock.release();
          await q.put("released?!");
        } catch (error) {
          await q.put((error as Error).name);
        }
        await q.put(String(await rlock.acquire({ timeout: 20 })));
      },
      args: [rlock, q],
    }),
    t,
  );
  assert.equal(await q.get({ timeout: 10_000 }), "ThreadError");
  assert.equal(await q.get({ timeout: 10_000 }), "false");
  await p.join();
  await rlock.release();
  assert.equal(await rlock.locked(), true);
  await rlock.release();
  assert.equal(await rlock.locked(), false);
});

test("Semaphore limits concurrency across processes; BoundedSemaphore refuses extra releases", async (t) => {
  const sem = new Semaphore(2);
  const inside = Value("i", 0);
  const most = Value("i", 0);
  const children = Array.from({ length: 4 }, () =>
    started(
      new Process({
        target: async (sem: Semaphore, inside: SharedValue<"i">, most: SharedValue<"i">) => {
          await sem.acquire();
          const now = await inside.add(1);
          const seen = await most.get();
          if (now > seen) await most.set(now);
          await new Promise((resolve) => setTimeout(resolve, 30));
          await inside.add(-1);
          await sem.release();
        },
        args: [sem, inside, most],
      }),
      t,
    ),
  );
  for (const child of children) await child.join();
  assert.ok((await most.get()) <= 2);
  assert.equal(await sem.getValue(), 2);
  const bounded = new BoundedSemaphore(1);
  await assert.rejects(bounded.release(), RangeError);
});

test("Event and Condition wake waiters in other processes", async (t) => {
  const ready = new Event();
  const cond = new Condition();
  const box = Value("i", 0);
  const q = new Queue<string>();
  const p = started(
    new Process({
      target: async (ready: Event, cond: Condition, box: SharedValue<"i">, q: Queue<string>) => {
        await q.put(`event ${String(await ready.wait({ timeout: 10_000 }))}`);
        await cond.acquire();
        const value = await cond.waitFor(async () => (await box.get()) === 7, { timeout: 10_000 });
        await cond.release();
        await q.put(`condition ${String(value)}`);
      },
      args: [ready, cond, box, q],
    }),
    t,
  );
  assert.equal(await ready.isSet(), false);
  await ready.set();
  assert.equal(await q.get({ timeout: 10_000 }), "event true");
  await cond.acquire();
  await box.set(7);
  await cond.notifyAll();
  await cond.release();
  assert.equal(await q.get({ timeout: 10_000 }), "condition true");
  await p.join();
  await assert.rejects(cond.notify(), ThreadError);
  assert.equal(await new Event().wait({ timeout: 10 }), false);
});

test("Barrier releases its parties together across processes, and breaks on timeout", async (t) => {
  const barrier = new Barrier(3);
  const q = new Queue<number>();
  const children = Array.from({ length: 2 }, () =>
    started(new Process({ target: async (b: Barrier, q: Queue<number>) => q.put(await b.wait()), args: [barrier, q] }), t),
  );
  const mine = await barrier.wait();
  const indexes = [mine, await q.get({ timeout: 10_000 }), await q.get({ timeout: 10_000 })].sort();
  assert.deepEqual(indexes, [0, 1, 2]);
  for (const child of children) await child.join();
  assert.equal(barrier.parties, 3);
  const lonely = new Barrier(2);
  await assert.rejects(lonely.wait({ timeout: 20 }), BrokenBarrierError);
  assert.equal(await lonely.broken(), true);
  await lonely.reset();
  assert.equal(await lonely.broken(), false);
});

test("Array holds typed numbers shared with children", async (t) => {
  const arr = SharedArray("d", [1.5, 2.5, 3.5]);
  const big = Value("q", 1n);
  const p = started(
    new Process({
      target: async (arr: ReturnType<typeof SharedArray<"d">>, big: SharedValue<"q">) => {
        for (let i = 0; i < arr.length; i++) await arr.set(i, -(await arr.get(i)));
        await big.set((await big.get()) * 2n ** 40n);
      },
      args: [arr, big],
    }),
    t,
  );
  await p.join();
  assert.deepEqual(await arr.toArray(), [-1.5, -2.5, -3.5]);
  assert.equal(await big.get(), 2n ** 40n);
  const wrap = Value("i", 2 ** 31 - 1);
  assert.equal(await wrap.add(1), -(2 ** 31), "an 'i' wraps as a C int");
  await assert.rejects(arr.get(3), RangeError);
});

test("calls that need not be awaited reach the owner when the child calls process.exit() right after", async (t) => {
  const event = new Event();
  const value = Value("i", 0);
  const lock = new Lock();
  // The first child's connection to the owner is not up when it exits; the second's is.
  const children = [
    new Process({
      target: (event: Event, value: SharedValue<"i">) => {
        void event.set();
        void value.set(42);
        process.exit(0);
      },
      args: [event, value],
    }),
    new Process({
      target: async (lock: Lock) => {
        await lock.acquire();
        void lock.release();
        process.exit(0);
      },
      args: [lock],
    }),
  ];
  for (const p of children) {
    started(p, t);
    await p.join();
    assert.equal(p.exitcode, 0);
  }
  assert.equal(await event.isSet(), true);
  assert.equal(await value.get(), 42);
  assert.equal(await lock.locked(), false);
  assert.equal(await lock.ownerDiedCount(), 0, "released, not taken back from a dead owner");
});

test("after the owner of a shared object exits, calls reject EOFError, whatever the socket said", async (t) => {
  const out = new Queue<Lock>();
  const used = new Event();
  const p = new Process({
    target: async (out: Queue<Lock>, used: Event, index: string) => {
      const { Lock } = (await import(index)) as typeof import("../../src/multiprocessing/index.js");
      await out.put(new Lock());
      // Stays until the parent has used the lock once (its connection to this process is up).
      await used.wait();
      process.exit(0);
    },
    args: [out, used, new URL("../../src/multiprocessing/index.js", import.meta.url).href],
  });
  started(p, t);
  const lock = await out.get({ timeout: 10_000 });
  assert.equal(await lock.locked(), false);
  await used.set();
  await p.join();
  for (let i = 0; i < 2; i++) {
    await assert.rejects(lock.acquire({ timeout: 1000 }), (error: Error) => {
      assert.ok(error instanceof EOFError, `call ${i}: ${error}`);
      assert.match(error.message, /^Cannot reach the owner of a shared object at .*: its process is gone$/);
      return true;
    });
  }
});

test("Value and Array refuse a value of the wrong type with a TypeError naming it, and store nothing", async () => {
  const i = Value("i", 7);
  await assert.rejects(i.set("x" as never), /^TypeError: Value.set: a "i" holds a number: got "x"$/);
  await assert.rejects(i.add("x" as never), /^TypeError: Value.add: a "i" holds a number: got "x"$/);
  assert.equal(await i.get(), 7);
  const q = Value("q", 1n);
  await assert.rejects(q.set(5 as never), /^TypeError: Value.set: a "q" holds a bigint: got number 5$/);
  assert.equal(await q.get(), 1n);
  const d = SharedArray("d", 2);
  await assert.rejects(d.set(0, "x" as never), /^TypeError: Array\[0\]: a "d" holds a number: got "x"$/);
  await assert.rejects(d.setAll(5 as never), /^TypeError: Array.setAll: values must be an array \(or an iterable\) of numbers: got number 5$/);
  await assert.rejects(d.setAll([1, "2"] as never), /^TypeError: Array.setAll\[1\]: a "d" holds a number: got "2"$/);
  await assert.rejects(d.setAll([1]), /^RangeError: Array.setAll: cannot assign 1 values to an array of 2$/);
  assert.deepEqual(await d.toArray(), [0, 0]);
  assert.throws(() => SharedArray("i", [1, "x" as never]), /^TypeError: Array\[1\]: a "i" holds a number: got "x"$/);
  // An integer type takes no fraction, as Python's ctypes refuse a float (it was truncated: 1.7 became 1).
  await assert.rejects(i.set(1.7), /^TypeError: Value.set: a "i" holds an integer: got number 1.7$/);
  await assert.rejects(i.add(0.5), /^TypeError: Value.add: a "i" holds an integer: got number 0.5$/);
  await assert.rejects(i.set(NaN), /^TypeError: Value.set: a "i" holds an integer: got number NaN$/);
  assert.equal(await i.get(), 7);
  assert.throws(() => Value("B", 2.5), /^TypeError: Value: a "B" holds an integer: got number 2.5$/);
  assert.throws(() => SharedArray("h", [1, 2.5]), /^TypeError: Array\[1\]: a "h" holds an integer: got number 2.5$/);
  await d.set(0, 2.5);
  assert.equal(await d.get(0), 2.5, "a float type takes fractions");
});

test("Array.get, set and add take a negative index from the end, as Python's arr[-1]", async () => {
  const arr = SharedArray("i", [1, 2, 3]);
  assert.equal(await arr.get(-1), 3);
  await arr.set(-3, 10);
  assert.equal(await arr.add(-2, 5), 7);
  assert.deepEqual(await arr.toArray(), [10, 7, 3]);
  await assert.rejects(arr.get(-4), /^RangeError: Cannot access index -4: the array has 3 elements$/);
  await assert.rejects(arr.get(3), /^RangeError: Cannot access index 3: the array has 3 elements$/);
});

test("a process-shared Barrier refuses an action rather than ignoring it", () => {
  let ran = false;
  assert.throws(
    () => new Barrier(2, { action: () => (ran = true) } as never),
    /^TypeError: Barrier: action cannot be given to a process-shared Barrier \(a function cannot run in the owner for a waiter\); run it after wait\(\) in the caller that gets index 0$/,
  );
  assert.equal(ran, false);
});
