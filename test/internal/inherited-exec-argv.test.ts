/**
 * Children and workers started by a program run as `node --input-type=module -e '...'`: a child
 * gets neither the eval code (it would run it again instead of its entry) nor `--input-type` (its
 * entry, a file, would refuse to load); a worker inherits both and starts anyway. A program run with
 * V8's flags (`--expose-gc`, `--max-old-space-size`), which Node refuses in a worker's `execArgv`,
 * starts its workers too, the flags in effect there.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { inheritedExecArgv } from "../../src/internal/inherited-exec-argv.js";

async function runEval(flags: string[], body: string): Promise<string[]> {
  // A child that ran this code again instead of its target stops at once: the test fails, and
  // nothing multiplies.
  const script = `
    if (process.env.SHOAL_EVAL_RERUN) { console.log("eval code ran again"); process.exit(0); }
    process.env.SHOAL_EVAL_RERUN = "1";
    ${body}
  `;
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [...flags, "--input-type=module", "-e", script], { timeout: 90_000 });
  assert.equal(stderr, "");
  return stdout.trim().split("\n");
}

test("a worker Thread, a ThreadPool, a worker Process, a Process, a Pool and a Manager start from node --input-type=module -e", async () => {
  const threading = new URL("../../src/threading/index.js", import.meta.url).href;
  const multiprocessing = new URL("../../src/multiprocessing/index.js", import.meta.url).href;
  const lines = await runEval([], `
    const { Thread } = await import(${JSON.stringify(threading)});
    const { Manager, Pool, Process, Queue, ThreadPool, getContext } = await import(${JSON.stringify(multiprocessing)});
    const t = new Thread({ worker: true, target: () => console.log("thread ran") });
    t.start();
    await t.join();
    const threadPool = new ThreadPool({ processes: 1 });
    console.log("thread pool", await threadPool.apply((x) => x * 2, [21]));
    await threadPool.terminate();
    const w = new (getContext("worker").Process)({ target: () => console.log("worker process ran") });
    w.start();
    await w.join();
    const q = new Queue();
    const p = new Process({ target: async (q) => q.put("process ran"), args: [q] });
    p.start();
    console.log(await q.get({ timeout: 30000 }));
    await p.join();
    const pool = new Pool({ processes: 1 });
    console.log("pool", await pool.apply((x) => x + 1, [41]));
    await pool.terminate();
    const manager = await Manager();
    const d = await manager.dict();
    await d.set("k", "manager");
    console.log(await d.get("k"));
    await manager.shutdown();
    console.log("exitcodes", w.exitcode, p.exitcode);
  `);
  assert.deepEqual(lines, ["thread ran", "thread pool 42", "worker process ran", "process ran", "pool 42", "manager", "exitcodes 0 0"]);
});

test("workers start in a program run with V8's flags, which hold in them", async () => {
  const threading = new URL("../../src/threading/index.js", import.meta.url).href;
  const multiprocessing = new URL("../../src/multiprocessing/index.js", import.meta.url).href;
  const lines = await runEval(["--expose-gc", "--max-old-space-size=256"], `
    const { Thread } = await import(${JSON.stringify(threading)});
    const { ThreadPool, getContext } = await import(${JSON.stringify(multiprocessing)});
    const t = new Thread({ worker: true, target: () => console.log("thread gc", typeof globalThis.gc) });
    t.start();
    await t.join();
    const threadPool = new ThreadPool({ processes: 1 });
    console.log("thread pool gc", await threadPool.apply(() => typeof globalThis.gc, []));
    await threadPool.terminate();
    const w = new (getContext("worker").Process)({ target: () => console.log("worker process gc", typeof globalThis.gc) });
    w.start();
    await w.join();
  `);
  assert.deepEqual(lines, ["thread gc function", "thread pool gc function", "worker process gc function"]);
});

test("inheritedExecArgv drops eval, input type, inspector, test and watch flags, with their values", () => {
  const saved = process.execArgv;
  try {
    Object.defineProperty(process, "execArgv", {
      value: ["--input-type", "module", "--no-warnings", "-e", "code()", "--input-type=commonjs", "--max-old-space-size=64", "--inspect-brk=9229", "--test-timeout", "5", "--print=1", "--import", "./x.js"],
      configurable: true,
    });
    assert.deepEqual(inheritedExecArgv(), ["--no-warnings", "--max-old-space-size=64", "--import", "./x.js"]);
  } finally {
    Object.defineProperty(process, "execArgv", { value: saved, configurable: true });
  }
});

test("under --preserve-symlinks, with shoal linked into node_modules, a child loads shoal by the link too", async (t) => {
  const app = mkdtempSync(join(tmpdir(), "shoal-linked-"));
  t.after(() => rmSync(app, { recursive: true, force: true }));
  mkdirSync(join(app, "node_modules"));
  symlinkSync(fileURLToPath(new URL("../../../", import.meta.url)), join(app, "node_modules", "shoal")); // npm link, pnpm
  writeFileSync(join(app, "package.json"), '{ "type": "module" }');
  writeFileSync(join(app, "lib.js"), `import { currentProcess } from "shoal/multiprocessing";\nexport async function f(q) { await q.put("ran in " + currentProcess().name); }\n`);
  writeFileSync(
    join(app, "main.js"),
    `import { Process, Queue } from "shoal/multiprocessing";\nimport { f } from "./lib.js";\nconst q = new Queue();\nconst p = new Process({ target: f, args: [q] });\np.start();\nconsole.log(await q.get({ timeout: 30000 }));\nawait p.join();\n`,
  );
  for (const [flags, env] of [[["--preserve-symlinks"], {}], [[], { NODE_PRESERVE_SYMLINKS: "1" }]] as const) {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [...flags, join(app, "main.js")], { cwd: app, env: { ...process.env, ...env }, timeout: 60_000 });
    assert.equal(stdout, "ran in Process-1\n", stderr);
  }
});

test("inheritedExecArgv adds --preserve-symlinks-main under --preserve-symlinks", () => {
  const saved = process.execArgv;
  try {
    Object.defineProperty(process, "execArgv", { value: ["--preserve-symlinks"], configurable: true });
    assert.deepEqual(inheritedExecArgv(), ["--preserve-symlinks", "--preserve-symlinks-main"]);
    Object.defineProperty(process, "execArgv", { value: ["--preserve-symlinks", "--preserve-symlinks-main"], configurable: true });
    assert.deepEqual(inheritedExecArgv(), ["--preserve-symlinks", "--preserve-symlinks-main"]);
  } finally {
    Object.defineProperty(process, "execArgv", { value: saved, configurable: true });
  }
});
