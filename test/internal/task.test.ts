import { test } from "node:test";
import assert from "node:assert/strict";
import { definingModule, isTaskRef, loadTask, resolveTaskRef, task, toTaskRef } from "../../src/internal/task.js";
import * as targets from "../threading/fixtures/targets.js";
import dflt, { double2 } from "./fixtures/renamed-exports.js";
import { ThreadPool } from "../../src/multiprocessing/index.js";

test("an exported function is found in its module, and loads as the same function", async () => {
  const ref = toTaskRef(targets.fails, "t");
  assert.equal(ref.kind, "module");
  assert.ok(ref.kind === "module" && ref.module.endsWith("/test/threading/fixtures/targets.js"));
  assert.equal(ref.name, "fails");
  assert.equal(toTaskRef(targets.fails, "t"), ref, "cached per function");
  assert.equal(await loadTask(ref), targets.fails);
  assert.deepEqual(structuredClone(ref), ref);
  assert.equal(await resolveTaskRef(targets.fails, "t"), ref);
});

test("explicit task(url, name); bad explicit refs", async () => {
  const url = new URL("../threading/fixtures/targets.js", import.meta.url).href;
  const ref = task(url, "whoAmI");
  assert.ok(isTaskRef(ref));
  assert.equal(await loadTask(ref), targets.whoAmI);
  assert.equal(await loadTask(task({ module: url, name: "linger" })), targets.linger);
  await assert.rejects(loadTask(task(url, "missing")), /no exported function named "missing"/);
  assert.throws(() => task("", "x"), TypeError);
});

test("self-contained functions travel by source", async () => {
  const ref = toTaskRef((a: number, b: number) => a + b, "t");
  assert.equal(ref.kind, "source");
  const fn = (await loadTask(ref)) as unknown as (a: number, b: number) => number;
  assert.equal(fn(2, 3), 5);
  const method = { twice(x: number) { return 2 * x; } };
  assert.equal(((await loadTask(toTaskRef(method.twice, "t"))) as unknown as (x: number) => number)(4), 8);
  const uses = await loadTask(toTaskRef(async () => (await import("node:os")).EOL, "t"));
  assert.equal(await (uses as () => Promise<string>)(), "\n");
});

test("what cannot be shipped is refused at once, saying why", () => {
  assert.throws(() => toTaskRef(targets.fails.bind(null), "Pool.apply func"), { name: "TypeError", message: /^Pool\.apply func: .*bound function/ });
  assert.throws(() => toTaskRef(Math.max, "t"), /native/);
  assert.throws(() => toTaskRef(class Foo {} as never, "t"), /class/);
  assert.throws(() => toTaskRef(42 as never, "t"), /must be a function or a task/);
  class Base {
    hello(): string {
      return "hi";
    }
  }
  class Derived extends Base {
    override hello(): string {
      return super.hello() + "!";
    }
  }
  assert.throws(() => toTaskRef(Derived.prototype.hello, "t"), /super/);
});

test("definingModule finds the module of any function, methods included", () => {
  assert.ok(definingModule(targets.fails)?.endsWith("/test/threading/fixtures/targets.js"));
  class Local {
    run(): number {
      return 1;
    }
  }
  assert.equal(definingModule(Local.prototype.run), new URL(import.meta.url).href);
  assert.equal(definingModule(Math.max), undefined);
});

test("a function exported under another name (default, or renamed) is found by its export, and keeps its module's helpers", async () => {
  for (const [fn, expected] of [[dflt, 6], [double2, 7]] as const) {
    const ref = toTaskRef(fn, "target");
    assert.equal(ref.kind, "module");
    const loaded = await loadTask(ref);
    assert.equal(loaded, fn, `${fn.name}: the export itself, not a copy from its source`);
    assert.equal(loaded(3), expected);
  }
  // In a worker thread, where the source alone would not find `helper`.
  const pool = new ThreadPool({ processes: 1 });
  try {
    assert.deepEqual([await pool.apply(dflt, [3]), await pool.apply(double2, [3])], [6, 7]);
  } finally {
    await pool.terminate();
  }
});
