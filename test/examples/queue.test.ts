/**
 * The lesson's queue examples (examples/queue/), each run as a program and its output checked.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runExample, type ExampleRun } from "./run-example.js";

function run(name: string, env: NodeJS.ProcessEnv = {}): Promise<ExampleRun> {
  return runExample("queue", name, env);
}

test("fifo: first in, first out", async () => {
  const { stdout, code } = await run("fifo");
  assert.equal(code, 0);
  assert.equal(stdout, "0\n1\n2\n3\n4\n");
});

test("lifo: last in, first out", async () => {
  const { stdout, code } = await run("lifo");
  assert.equal(code, 0);
  assert.equal(stdout, "4\n3\n2\n1\n0\n");
});

test("priority: lowest first, compared like Python tuples", async () => {
  const { stdout, code } = await run("priority");
  assert.equal(code, 0);
  assert.equal(stdout, "1 call the customer\n1 fix the outage\n2 answer the mail\n3 write the report\n");
});

test("bones: every bone taken exactly once, and join returns only after the last taskDone", async () => {
  const { stdout, code } = await run("bones");
  assert.equal(code, 0);
  const lines = stdout.trimEnd().split("\n");
  assert.equal(lines[0], "开始等待所有的骨头被取走...");
  const taken = lines.filter((line) => line.startsWith("李闯 取到 "));
  assert.deepEqual(taken, Array.from({ length: 10 }, (_, i) => `李闯 取到 骨头 ${i}`));
  assert.equal(lines.at(-1), "所有的骨头被取完了...");
  assert.equal(lines.indexOf("所有的骨头被取完了..."), lines.lastIndexOf("李闯 取到 骨头 9") + 1, "join returned after the last taskDone");
});

test("baozi: a producer thread and a consumer thread; every baozi produced once and eaten once, in order", async () => {
  const { stdout, code } = await run("baozi", { SHOAL_EXAMPLE_SCALE: "0.005" });
  assert.equal(code, 0);
  const lines = stdout.trimEnd().split("\n");
  const produced = lines.filter((line) => line.startsWith("Producer A has produced "));
  assert.deepEqual(produced, Array.from({ length: 20 }, (_, i) => `Producer A has produced ${i} baozi..`));
  const eaten = lines.map((line) => /Consumer B has eat (\d+) baozi\.\.\./.exec(line)?.[1]).filter((n) => n !== undefined);
  assert.deepEqual(eaten, Array.from({ length: 20 }, (_, i) => String(i)));
  const ESC = String.fromCharCode(27);
  for (const line of lines.map((l) => l.replaceAll(ESC, "<ESC>"))) {
    assert.match(line, /^(Producer A has produced \d+ baozi\.\.|\d+|<ESC>\[32;1mConsumer B has eat \d+ baozi\.\.\.<ESC>\[0m|-----no baozi anymore----)$/);
  }
});
