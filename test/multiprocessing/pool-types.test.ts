/**
 * Pool and ThreadPool are typed end to end. This file is checked by the compiler (`npx tsc -p .`):
 * each `@ts-expect-error` line must fail to compile, or the build reports an unused directive; each
 * other line must compile. The test at the end runs the well-typed calls for real.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Pool, ThreadPool, type AsyncResult, type PoolIterator } from "../../src/multiprocessing/pool/index.js";
import { task } from "../../src/internal/task.js";
import { add, concat, slowSquare, square } from "./pool-fixtures.js";

/** Fails to compile unless `A` and `B` are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | undefined {
  return undefined;
}

/** Never called: it only has to type-check. */
function typeChecks(pool: Pool | ThreadPool): void {
  const _nine = pool.apply(square, [3]);
  expectType<Equal<typeof _nine, Promise<number>>>();
  const _later = pool.applyAsync(slowSquare, [3, 10]);
  expectType<Equal<typeof _later, AsyncResult<number>>>(); // an async function's value, not its promise
  expectType<Equal<Awaited<ReturnType<typeof pool.map<typeof square>>>, number[]>>();
  const _joined = pool.starmap(concat, [["a", "b"]]);
  expectType<Equal<typeof _joined, Promise<string[]>>>();
  const _each = pool.imapUnordered(square, [1, 2]);
  expectType<Equal<typeof _each, PoolIterator<number>>>();
  const _byRef = pool.apply(task<typeof add>("file:///x.js", "add"), [1, 2]);
  expectType<Equal<typeof _byRef, Promise<number>>>();
  pool.applyAsync(square, [3], { callback: (value: number) => void value, errorCallback: (error: Error) => void error });

  // @ts-expect-error: square takes a number, not a string
  void pool.apply(square, ["3"]);
  // @ts-expect-error: square takes one argument
  void pool.apply(square, [3, 4]);
  // @ts-expect-error: add takes two arguments
  void pool.apply(add, [1]);
  // @ts-expect-error: the value is a number, not a string
  const wrong: Promise<string> = pool.apply(square, [3]);
  void wrong;
  // @ts-expect-error: the callback gets a number
  pool.applyAsync(square, [3], { callback: (value: string) => void value });
  // @ts-expect-error: map's items are square's argument
  void pool.map(square, ["a", "b"]);
  // @ts-expect-error: starmap's items are argument lists
  void pool.starmap(add, [1, 2]);
  // @ts-expect-error: imap's items are square's argument
  void pool.imap(square, ["a"]);
  // @ts-expect-error: a task reference keeps its function's type
  void pool.apply(task<typeof add>("file:///x.js", "add"), ["1", "2"]);
  // @ts-expect-error: args is an array
  void pool.apply(square, 3);
  // @ts-expect-error: chunksize is a number
  void pool.map(square, [1], { chunksize: "2" });
}
void typeChecks;

test("the typed calls run as typed", async (t) => {
  const pool = new Pool({ processes: 1 });
  t.after(() => pool.terminate());
  const nine: number = await pool.apply(square, [3]);
  assert.equal(nine, 9);
  const sums: number[] = await pool.starmap(add, [[1, 2]]);
  assert.deepEqual(sums, [3]);
});
