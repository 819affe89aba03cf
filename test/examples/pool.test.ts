/**
 * examples/multiprocessing/pool.ts: Bar sees all ten results, and the tasks run five at a time.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const EXAMPLE = fileURLToPath(new URL("../../examples/multiprocessing/pool.js", import.meta.url));
const SLEEP_MS = 1000;

test("Pool(5) runs ten two-second tasks five at a time and calls Bar with each result", async (t) => {
  const child = spawn(process.execPath, [EXAMPLE], { env: { ...process.env, SHOAL_EXAMPLE_SLEEP_MS: String(SLEEP_MS) }, stdio: ["ignore", "pipe", "inherit"] });
  t.after(() => child.kill("SIGKILL"));
  const lines: Array<{ text: string; at: number }> = [];
  let rest = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    const at = performance.now();
    const parts = (rest + chunk).split("\n");
    rest = parts.pop()!;
    for (const text of parts) lines.push({ text, at });
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(code, 0);
  assert.equal(lines[0]?.text, "end", "end is printed before any task finishes");
  const done = lines.slice(1);
  assert.equal(done.length, 10);
  const values = done.map(({ text }) => {
    const match = /^-->exec done: (\d+)$/.exec(text);
    assert.ok(match, `unexpected line ${JSON.stringify(text)}`);
    return Number(match[1]);
  });
  assert.deepEqual([...values].sort((a, b) => a - b), [100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
  // Two waves of five: each wave ends close together, one sleep apart from the other.
  const times = done.map(({ at }) => at);
  assert.ok(times[4]! - times[0]! < SLEEP_MS / 2, `first wave spread over ${times[4]! - times[0]!} ms`);
  assert.ok(times[9]! - times[5]! < SLEEP_MS / 2, `second wave spread over ${times[9]! - times[5]!} ms`);
  assert.ok(times[5]! - times[4]! > SLEEP_MS / 2, `the waves are only ${times[5]! - times[4]!} ms apart`);
});
