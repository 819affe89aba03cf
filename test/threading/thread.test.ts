import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Local,
  Thread,
  ThreadError,
  Timer,
  activeCount,
  currentThread,
  enumerate,
  getIdent,
  mainThread,
  setExcepthook,
  sleep,
  sleepSync,
  type ExceptHookArgs,
} from "../../src/threading/index.js";

test("a Thread runs its target on this event loop, sharing variables", async () => {
  let num = 0;
  const seen: string[] = [];
  function work(step: number): void {
    num += step;
    seen.push(currentThread().name);
  }
  const t = new Thread({ target: work, args: [5], name: "adder" });
  assert.equal(t.ident, null);
  assert.equal(t.isAlive(), false);
  t.start();
  await t.join();
  assert.equal(num, 5);
  assert.deepEqual(seen, ["adder"]);
  assert.equal(t.isAlive(), false);
  assert.equal(typeof t.ident, "number");
  assert.equal(t.nativeId, null);
});

test("default names, unique idents, daemon inherited, currentThread/mainThread", async () => {
  function named(): void {}
  const a = new Thread({ target: named });
  const b = new Thread();
  assert.match(a.name, /^Thread-\d+ \(named\)$/);
  assert.match(b.name, /^Thread-\d+$/);
  a.start();
  b.start();
  assert.notEqual(a.ident, b.ident);
  assert.notEqual(a.ident, mainThread().ident);
  assert.equal(currentThread(), mainThread());
  assert.equal(mainThread().name, "MainThread");
  assert.equal(getIdent(), mainThread().ident);
  let inner: Thread | undefined;
  const parent = new Thread({
    daemon: true,
    target: () => {
      inner = new Thread();
    },
  });
  parent.start();
  await parent.join();
  assert.equal(inner?.daemon, true);
});

test("a subclass overriding run()", async () => {
  class Counter extends Thread {
    total = 0;
    constructor(readonly n: number) {
      super();
    }
    override async run(): Promise<void> {
      for (let i = 0; i < this.n; i++) {
        await sleep(1);
        this.total++;
      }
    }
  }
  const t = new Counter(3);
  t.start();
  assert.equal(t.isAlive(), true);
  await t.join();
  assert.equal(t.total, 3);
});

test("starting twice, joining itself or before start, daemon after start: ThreadError", async () => {
  const t = new Thread({ target: () => sleep(5) });
  await assert.rejects(t.join(), { name: "ThreadError", message: "Cannot join thread before it is started" });
  t.start();
  assert.throws(() => t.start(), { name: "ThreadError", message: "threads can only be started once" });
  assert.throws(() => (t.daemon = true), ThreadError);
  await assert.rejects(t.join({ timeout: -1 }), RangeError);
  let selfJoin: unknown;
  const me: Thread = new Thread({
    target: async () => {
      try {
        await me.join();
      } catch (error) {
        selfJoin = error;
      }
    },
  });
  me.start();
  await me.join();
  assert.equal((selfJoin as Error).message, "Cannot join current thread");
  await t.join();
  assert.throws(() => new Thread({ target: 5 as never }), TypeError);
});

test("join with a timeout resolves while the thread goes on; activeCount/enumerate", async () => {
  const t = new Thread({ target: () => sleep(60) });
  const before = activeCount();
  t.start();
  assert.equal(activeCount(), before + 1);
  assert.ok(enumerate().includes(t));
  await t.join({ timeout: 5 });
  assert.equal(t.isAlive(), true);
  await t.join();
  assert.equal(activeCount(), before);
  assert.ok(!enumerate().includes(t));
});

test("an exception goes to excepthook with the thread, not to the process", async () => {
  const seen: ExceptHookArgs[] = [];
  const previous = setExcepthook((args) => seen.push(args));
  try {
    const t = new Thread({ name: "failing", target: async () => Promise.reject(new TypeError("bad")) });
    t.start();
    await t.join();
    const s = new Thread({
      name: "sync-failing",
      target: () => {
        throw new RangeError("sync bad");
      },
    });
    s.start();
    await s.join();
  } finally {
    setExcepthook(previous);
  }
  assert.equal(seen.length, 2);
  assert.equal(seen[0]!.excType, "TypeError");
  assert.equal(seen[0]!.thread?.name, "failing");
  assert.match(seen[0]!.excTraceback ?? "", /TypeError: bad/);
  assert.equal(seen[1]!.excType, "RangeError");
});

test("Timer fires after its interval; a cancelled one never does", async () => {
  const fired: string[] = [];
  const t = new Timer(10, (who: string) => fired.push(who), ["hello"]);
  const c = new Timer(10, (who: string) => fired.push(who), ["cancelled"]);
  t.start();
  c.start();
  c.cancel();
  await Promise.all([t.join(), c.join()]);
  assert.deepEqual(fired, ["hello"]);
  assert.equal(t.finished.isSet(), true);
  assert.throws(() => new Timer(-1, () => {}), RangeError);
});

test("Local: one value per thread", async () => {
  const local = new Local<number>(() => 0);
  local.set(1);
  const values: Array<number | undefined> = [];
  const threads = [2, 3].map((n) => new Thread({ target: async () => {
    local.set(n);
    await sleep(2);
    values.push(local.get());
  } }));
  threads.forEach((t) => t.start());
  await Promise.all(threads.map((t) => t.join()));
  assert.deepEqual(values.sort(), [2, 3]);
  assert.equal(local.get(), 1);
});

test("sleep: bad values and abort; sleepSync blocks", async () => {
  await assert.rejects(sleep(-1), RangeError);
  const reason = new Error("wake up");
  const controller = new AbortController();
  const pending = sleep(10_000, { signal: controller.signal });
  controller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
  const started = performance.now();
  sleepSync(15);
  assert.ok(performance.now() - started >= 14);
});
