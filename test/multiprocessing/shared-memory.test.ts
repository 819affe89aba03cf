/**
 * SharedMemory and ShareableList: named shared bytes that the threads of one process attach to by
 * name (WorkerProcess, ThreadPool workers) or receive as objects; refused between processes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { FileExistsError, FileNotFoundError, Process, ProcessError, ShareableList, SharedMemory, SharedMemoryManager, ThreadPool, getContext } from "../../src/multiprocessing/index.js";
import { Queue } from "../../src/queue/index.js";
import { Thread } from "../../src/threading/index.js";
import { fillArrived, fillSharedMemory, sumSharedMemory, transformList } from "../fixtures/process-targets.js";

const ctx = getContext("worker");

async function run(target: (...args: never[]) => unknown, args: unknown[]): Promise<void> {
  const p = new ctx.Process({ target: target as (...args: unknown[]) => unknown, args });
  p.start();
  await p.join({ timeout: 30_000 });
  assert.equal(p.exitcode, 0);
}

test("Python's example: a second handle by name shares the bytes; close, then unlink", () => {
  const a = new SharedMemory({ create: true, size: 10 });
  assert.match(a.name, /^psm_[0-9a-f]{8}$/);
  assert.equal(a.size, 10);
  a.buf.set([22, 33, 44, 55, 66], 0);
  const b = new SharedMemory({ name: a.name });
  assert.deepEqual([...b.buf.subarray(0, 5)], [22, 33, 44, 55, 66]);
  b.buf[0] = 7;
  assert.equal(a.buf[0], 7);
  b.close();
  assert.throws(() => b.buf, /SharedMemory "psm_[0-9a-f]+" is closed/);
  a.unlink();
  assert.equal(a.buf[0], 7, "an attached handle keeps the memory after unlink, as after shm_unlink");
  assert.throws(() => new SharedMemory({ name: a.name }), FileNotFoundError);
  assert.throws(() => a.unlink(), (e: unknown) => e instanceof FileNotFoundError && /was unlinked already/.test(e.message));
  a.close();
});

test("a worker process attaches by name: to a segment made before it started, and to one made while it was starting", async () => {
  const before = new SharedMemory({ create: true, size: 64, name: "shoal-test-before" });
  await run(fillSharedMemory, [before.name, 5, 64, null]);
  assert.ok(before.buf.every((b) => b === 5));

  // Made after start(), before the worker listens: the parent's change reaches it on its start port.
  const names = new Queue<string>();
  const p = new ctx.Process({ target: fillSharedMemory, args: [null, 9, 16, names] });
  p.start();
  const during = new SharedMemory({ create: true, size: 16 });
  names.put(during.name);
  await p.join({ timeout: 30_000 });
  assert.equal(p.exitcode, 0);
  assert.ok(during.buf.every((b) => b === 9));
  before.unlink();
  during.unlink();
});

test("a worker Thread (threading's, which knows nothing of SharedMemory) attaches by name, before and during its start", async () => {
  const before = new SharedMemory({ create: true, size: 32 });
  const thread = new Thread({ target: fillSharedMemory, args: [before.name, 3, 32, null], worker: true });
  thread.start();
  await thread.join();
  assert.ok(before.buf.every((b) => b === 3), "a segment made before the thread started");
  const names = new Queue<string>();
  const late = new Thread({ target: fillSharedMemory, args: [null, 4, 8, names], worker: true });
  late.start();
  const during = new SharedMemory({ create: true, size: 8 });
  names.put(during.name);
  await late.join();
  assert.ok(during.buf.every((b) => b === 4), "a segment made while it was starting");
  for (const shm of [before, during]) {
    shm.close();
    shm.unlink();
  }
});

test("a SharedMemory passed as an object arrives attached, even when its name is gone; a ThreadPool worker finds it by name", async () => {
  const shm = new SharedMemory({ create: true, size: 8 });
  shm.unlink();
  await run(fillArrived, [shm, 3]);
  assert.deepEqual([...shm.buf], [3, 3, 3, 3, 3, 3, 3, 3]);

  const named = new SharedMemory({ create: true, size: 4 });
  named.buf.set([1, 2, 3, 4]);
  await using pool = new ThreadPool({ processes: 2 });
  assert.equal(await pool.apply(sumSharedMemory, [named.name, 4]), 10);
  named.unlink();
});

test("bad input: sizes, names, taken and unknown names; never to another process", () => {
  assert.throws(() => new SharedMemory({ create: true }), /SharedMemory: size must be a positive integer when creating: got undefined/);
  assert.throws(() => new SharedMemory({ create: true, size: 0 }), RangeError);
  assert.throws(() => new SharedMemory(), /give a name to attach to, or create: true/);
  assert.throws(() => new SharedMemory({ name: "a/b" }), /name must be a non-empty string .* without "\/"/);
  const taken = new SharedMemory({ create: true, size: 1, name: "shoal-test-taken" });
  assert.throws(() => new SharedMemory({ create: true, size: 1, name: "shoal-test-taken" }), (e: unknown) => e instanceof FileExistsError && e.code === "EEXIST");
  assert.throws(
    () => new SharedMemory({ name: "shoal-test-nowhere" }),
    (e: unknown) => e instanceof FileNotFoundError && /no segment named "shoal-test-nowhere" in this process .*passing the SharedMemory object itself always works/.test(e.message),
  );
  const p = new Process({ target: fillArrived, args: [taken, 1] });
  assert.throws(() => p.start(), (e: unknown) => e instanceof TypeError && /args\[0\]: cannot send a SharedMemory to another process: Node processes cannot map shared memory/.test(e.message));
  taken.unlink();
});

test("ShareableList: Python's example; items change in place, within their room; a worker attaches by name", async () => {
  const a = new ShareableList(["howdy", new Uint8Array([72, 111, 87, 100, 89]), -273.154, 100, null, true, 42n]);
  assert.equal(a.length, 7);
  assert.deepEqual(a.toArray().map((v) => (v === null ? "null" : v instanceof Uint8Array ? "bytes" : typeof v)), ["string", "bytes", "number", "number", "null", "boolean", "bigint"]);
  assert.equal(a[2], -273.154);
  a[2] = -78.5;
  assert.equal(a.get(2), -78.5);
  a[2] = "dry ice"; // changing types is supported, as in Python
  assert.equal(a[2], "dry ice");
  assert.throws(() => (a[2] = "larger than previously allocated storage space"), /ShareableList.set\(2\): 46 bytes do not fit the item's 8/);
  assert.equal(a.format, "8s8b8sdx?q");
  assert.equal(a.count(7), 0);
  assert.equal(a.index(42n), 6);
  assert.equal(a.get(-1), 42n);
  assert.throws(() => a.index("nope"), RangeError);
  assert.throws(() => a.get(7), /index 7 is out of range: the list has 7 items/);
  assert.throws(() => a.set(0, {} as never), /a ShareableList holds numbers, bigints, booleans, null, strings and Uint8Arrays: got/);
  assert.deepEqual([...(a[1] as Uint8Array)], [72, 111, 87, 100, 89]);

  const b = new ShareableList(null, { name: a.shm.name });
  assert.equal(b[0], "howdy");
  await run(transformList, [a.shm.name]);
  assert.deepEqual([a[0], a[2], a[3], b[3]], ["HOWDY", "DRY ICE", 200, 200]);
  assert.match(String(a), /^ShareableList\(\["HOWDY", <5 bytes>, "DRY ICE", 200, null, true, 42\], name="psm_/);
  a.shm.close();
  a.shm.unlink();
});

test("SharedMemoryManager unlinks what it made at shutdown (and at the end of a using block)", () => {
  let names: string[];
  {
    using smm = new SharedMemoryManager().start();
    const shm = smm.SharedMemory(16);
    const list = smm.ShareableList([1, "two"]);
    names = [shm.name, list.shm.name];
    assert.equal(new SharedMemory({ name: names[0] }).size, 16);
    assert.equal(new ShareableList(null, { name: names[1] })[1], "two");
  }
  for (const name of names) assert.throws(() => new SharedMemory({ name }), FileNotFoundError);
  const smm = new SharedMemoryManager();
  assert.throws(() => smm.SharedMemory(1), (e: unknown) => e instanceof ProcessError && /not started \(call start\(\)\)/.test(e.message));
  smm.start();
  assert.throws(() => smm.start(), /started already/);
  smm.shutdown();
  smm.shutdown();
  assert.throws(() => smm.ShareableList([]), /the manager is shut down/);
});
