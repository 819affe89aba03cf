/**
 * `task(url, name)` without a type parameter refers to a function taking any arguments: Thread,
 * Process and the pools accept it with `args`, and its value is `unknown`. This file is checked by
 * the compiler (`npx tsc -p .`); the test at the end only runs what it declares.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Thread } from "../../src/threading/index.js";
import { Pool, Process, ThreadPool, task } from "../../src/multiprocessing/index.js";

/** Fails to compile unless `A` and `B` are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | undefined {
  return undefined;
}

/** Never called: it only has to type-check. */
export function typeChecks(pool: Pool | ThreadPool, tree: { path: string }): void {
  // threading.md's stackSize example, pool.md's task example, and the same for a Process.
  void new Thread({ target: task(import.meta.url, "walk"), args: [tree], worker: true });
  const _value = pool.apply(task(import.meta.url, "square"), [3]);
  expectType<Equal<typeof _value, Promise<unknown>>>();
  void pool.map(task(import.meta.url, "square"), [1, 2]);
  void pool.starmap(task({ module: import.meta.url, name: "add" }), [[1, 2]]);
  void new Process({ target: task(import.meta.url, "walk"), args: [tree] });
  // A typed reference still checks its arguments.
  // @ts-expect-error: square takes a number
  void pool.apply(task<(x: number) => number>(import.meta.url, "square"), ["3"]);
}

export function square(x: number): number {
  return x * x;
}

test("an untyped task reference runs in a pool with its arguments", async (t) => {
  const pool = new ThreadPool({ processes: 1 });
  t.after(() => pool.terminate());
  assert.equal(await pool.apply(task(import.meta.url, "square"), [3]), 9);
});
