import { test } from "node:test";
import assert from "node:assert/strict";
import { ProcessError, Queue, getAllStartMethods, getContext, getStartMethod, setStartMethod } from "../../src/multiprocessing/index.js";

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

test("fork and forkserver are refused with the reason, unknown methods with the choices", () => {
  assert.throws(() => getContext("fork" as "spawn"), /"fork" is not available: Node has no fork\(\)/);
  assert.throws(() => setStartMethod("forkserver" as "spawn"), /setStartMethod: "forkserver" is not available/);
  assert.throws(() => getContext("threads" as "spawn"), /getContext: unknown start method "threads": expected one of "spawn"/);
  assert.deepEqual(getAllStartMethods(), ["spawn"]);
});

test("the start method is set once, unless forced; asking fixes the default", () => {
  assert.equal(getStartMethod({ allowNone: true }), null);
  assert.equal(getStartMethod(), "spawn");
  assert.throws(() => setStartMethod("spawn"), (error: unknown) => error instanceof ProcessError && /context has already been set/.test(error.message));
  setStartMethod("spawn", { force: true });
  assert.equal(getStartMethod({ allowNone: true }), "spawn");
});
