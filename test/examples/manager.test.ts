/**
 * examples/multiprocessing/manager.ts: the lesson's ten processes each set the same three keys of
 * a managed dict and append 1 to a managed list that starts as range(5).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { main } from "../../examples/multiprocessing/manager.js";

test("the dict holds exactly the three keys, the list five plus ten items", async (t) => {
  const lines: string[] = [];
  t.mock.method(console, "log", (...args: unknown[]) => void lines.push(args.map(String).join(" ")));
  const { dict, list } = await main();
  assert.deepEqual(dict, new Map<unknown, unknown>([[1, "1"], ["2", 2], [0.25, null]]));
  assert.deepEqual(list, [0, 1, 2, 3, 4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  assert.equal(lines.length, 2, "the parent prints the dict and the list (the children print in their own processes)");
});
