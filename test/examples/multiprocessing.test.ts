/**
 * The lesson's multiprocessing examples (examples/multiprocessing/), each run as a program and its
 * output checked.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runExample, type ExampleRun } from "./run-example.js";

function run(name: string, env: NodeJS.ProcessEnv = {}): Promise<ExampleRun> {
  return runExample("multiprocessing", name, env);
}

test("process-hello: f('bob') runs in a child after its sleep", async () => {
  const started = performance.now();
  const { stdout, code } = await run("process-hello", { SHOAL_EXAMPLE_SLEEP_MS: "300" });
  assert.equal(code, 0);
  assert.equal(stdout, "hello bob\n");
  assert.ok(performance.now() - started >= 300, "the parent waited for the child's sleep");
});

test("process-info: module name, parent pid and own pid in the main process and in the child", async () => {
  const { stdout, code } = await run("process-info");
  assert.equal(code, 0);
  // The titles are coloured with ANSI escapes; take them out before matching.
  const plain = stdout.replaceAll(String.fromCharCode(27), "<ESC>");
  const blocks = plain.split("\n\n\n\n").map((block) => block.trim());
  const main = /main process line<ESC>\[0m\nmodule name: __main__\nparent process: (\d+)\nprocess id: (\d+)/.exec(blocks[0]!);
  assert.ok(main, `unexpected main block ${JSON.stringify(blocks[0])}`);
  const child = /function f<ESC>\[0m\nmodule name: __mp_main__\nparent process: (\d+)\nprocess id: (\d+)/.exec(blocks[1]!);
  assert.ok(child, `unexpected child block ${JSON.stringify(blocks[1])}`);
  assert.equal(child[1], main[2], "the child's parent is the main process");
  assert.notEqual(child[2], main[2]);
  assert.equal(blocks[2], "hello bob");
});

test("queue: the child's list reaches the parent", async () => {
  const { stdout, code } = await run("queue");
  assert.equal(code, 0);
  assert.equal(stdout, "[ 42, null, 'hello' ]\n");
});

test("pipe: the child's list comes through the pipe", async () => {
  const { stdout, code } = await run("pipe");
  assert.equal(code, 0);
  assert.equal(stdout, "[ 42, null, 'hello' ]\n");
});

test("lock: ten processes print whole lines under the lock, each once", async () => {
  const { stdout, code } = await run("lock");
  assert.equal(code, 0);
  const lines = stdout.trimEnd().split("\n");
  assert.equal(lines.length, 10);
  for (const line of lines) assert.match(line, /^hello world \d$/);
  assert.deepEqual(lines.map((line) => Number(line.slice(-1))).sort(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});
