/**
 * Worker threads started by a program run as `node --input-type=module -e '...'`: the flag is not
 * passed on (a worker, whose entry is a file, would refuse to load).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { workerExecArgv } from "../../src/internal/worker-exec-argv.js";

test("a worker Thread, a ThreadPool and a worker Process start from node --input-type=module -e", async () => {
  const threading = new URL("../../src/threading/index.js", import.meta.url).href;
  const multiprocessing = new URL("../../src/multiprocessing/index.js", import.meta.url).href;
  const script = `
    const { Thread } = await import(${JSON.stringify(threading)});
    const { ThreadPool, getContext } = await import(${JSON.stringify(multiprocessing)});
    const t = new Thread({ worker: true, target: () => console.log("thread ran") });
    t.start();
    await t.join();
    const pool = new ThreadPool({ processes: 1 });
    console.log("pool", await pool.apply((x) => x * 2, [21]));
    await pool.terminate();
    const p = new (getContext("worker").Process)({ target: () => console.log("process ran") });
    p.start();
    await p.join();
    console.log("exitcode", p.exitcode);
  `;
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], { timeout: 60_000 });
  assert.equal(stderr, "");
  assert.deepEqual(stdout.trim().split("\n"), ["thread ran", "pool 42", "process ran", "exitcode 0"]);
});

test("workerExecArgv keeps the other flags", () => {
  const saved = process.execArgv;
  try {
    Object.defineProperty(process, "execArgv", { value: ["--input-type", "module", "--no-warnings", "--input-type=commonjs", "--max-old-space-size=64"], configurable: true });
    assert.deepEqual(workerExecArgv(), ["--no-warnings", "--max-old-space-size=64"]);
  } finally {
    Object.defineProperty(process, "execArgv", { value: saved, configurable: true });
  }
});
