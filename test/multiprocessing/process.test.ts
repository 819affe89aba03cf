import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Process, Pipe, Queue, ProcessError, currentProcess, parentProcess, activeChildren, cpuCount, EOFError, wait, getContext, getExecutable, setExecutable, Manager, Pool, type Connection } from "../../src/multiprocessing/index.js";
import { startWatcherThenDie } from "../fixtures/process-targets.js";

const INDEX = pathToFileURL(join(import.meta.dirname, "../../src/multiprocessing/index.js")).href;

function started(p: Process, t: { after(fn: () => void): void }): Process {
  t.after(() => {
    if (String(p).endsWith(" closed>")) return; // closed after it ended: nothing to kill, and isAlive() throws
    if (p.isAlive()) p.kill();
  });
  p.start();
  return p;
}

test("a target runs in another process with its arguments, and exitcode is 0", async (t) => {
  const [mine, theirs] = await Pipe();
  t.after(() => mine.close());
  const p = started(
    new Process({
      target: async (conn: Connection, word: string) => {
        await conn.send({ word, pid: process.pid, ppid: process.ppid });
      },
      args: [theirs, "bob"],
    }),
    t,
  );
  assert.match(p.name, /^Process-\d+$/);
  const got = (await mine.recv()) as { word: string; pid: number; ppid: number };
  assert.equal(got.word, "bob");
  assert.equal(got.pid, p.pid);
  assert.equal(got.ppid, process.pid);
  await p.join();
  assert.equal(p.exitcode, 0);
  assert.equal(p.isAlive(), false);
  assert.equal(theirs.closed, true, "the end given to the child is closed here");
});

test("an error in the target makes exitcode 1 and is printed under the process name", async () => {
  const script = `
    import { Process } from ${JSON.stringify(INDEX)};
    const p = new Process({ name: "Crasher", target: () => { throw new Error("boom in child"); } });
    p.start();
    await p.join();
    console.log("exitcode", p.exitcode);
  `;
  const { stdout, stderr, code } = await runScript(script);
  assert.equal(code, 0);
  assert.match(stdout, /exitcode 1/);
  assert.match(stderr, /Process Crasher:\nError: boom in child/);
});

test("terminate and kill give negative signal numbers; join returns", async (t) => {
  const forever = (): Promise<void> => new Promise(() => setInterval(() => undefined, 1000));
  const a = started(new Process({ target: forever }), t);
  const b = started(new Process({ target: forever }), t);
  assert.equal(a.isAlive(), true);
  assert.deepEqual(await wait([a, b.sentinel], { timeout: 20 }), [], "neither has ended");
  await a.join({ timeout: 50 });
  assert.equal(a.exitcode, null, "join with a timeout returns while it runs");
  a.terminate();
  b.kill();
  assert.ok((await wait([a, b.sentinel], { timeout: 10_000 })).length >= 1, "wait sees a process end");
  await a.join();
  await b.join();
  assert.equal(a.exitcode, -15);
  assert.equal(b.exitcode, -9);
  a.close();
  assert.throws(() => a.start(), RangeError);
});

test("an argument that cannot be serialized fails start() at once, naming it", () => {
  const p = new Process({ target: (x: unknown) => x, args: [1, { callback: () => 2 }] });
  assert.throws(() => p.start(), /args\[1\]\.callback: cannot send a function/);
  assert.equal(p.pid, null);
  assert.throws(() => new Process({ target: (x: unknown) => x, args: [new WeakMap()] }).start(), /weak collections/);
});

test("start twice, join before start and close while running are refused", async (t) => {
  const p = new Process({ target: () => new Promise((resolve) => setTimeout(resolve, 200)) });
  await assert.rejects(p.join(), ProcessError);
  started(p, t);
  assert.throws(() => p.start(), /can only be started once/);
  assert.throws(() => p.close(), /still running/);
  await p.join();
  p.close();
  // As Python's ValueError("process object is closed"): everything but name, daemon and authkey.
  for (const use of [() => p.isAlive(), () => p.exitcode, () => p.pid, () => p.ident, () => p.sentinel, () => p.terminate()]) {
    assert.throws(use, (error: unknown) => error instanceof RangeError && /process object is closed/.test(error.message));
  }
  await assert.rejects(p.join(), RangeError);
  assert.match(String(p), /^<Process name='Process-\d+' closed>$/);
  assert.equal(typeof p.name, "string");
  p.close(); // twice is fine
});

test("currentProcess, parentProcess, names and authkey are inherited as in Python", async (t) => {
  assert.equal(currentProcess().name, "MainProcess");
  assert.equal(parentProcess(), null);
  assert.equal(currentProcess().pid, process.pid);
  assert.ok(cpuCount() >= 1);
  const [mine, theirs] = await Pipe();
  t.after(() => mine.close());
  const p = started(
    new Process({
      name: "Worker-A",
      target: async (conn: Connection, index: string) => {
        const mp = (await import(index)) as typeof import("../../src/multiprocessing/index.js");
        const child = new mp.Process({ target: () => undefined });
        await conn.send({
          name: mp.currentProcess().name,
          parent: { pid: mp.parentProcess()?.pid, name: mp.parentProcess()?.name, alive: mp.parentProcess()?.isAlive(), exitcode: mp.parentProcess()?.exitcode },
          authkey: mp.currentProcess().authkey.toString("hex"),
          childName: child.name,
        });
      },
      args: [theirs, INDEX],
    }),
    t,
  );
  const got = (await mine.recv()) as { name: string; parent: { pid: number; name: string; alive: boolean; exitcode: null }; authkey: string; childName: string };
  assert.equal(got.name, "Worker-A");
  assert.deepEqual(got.parent, { pid: process.pid, name: "MainProcess", alive: true, exitcode: null });
  assert.equal(got.authkey, currentProcess().authkey.toString("hex"));
  assert.match(got.childName, /^Process-\d+:1$/);
  await p.join();
  assert.deepEqual(activeChildren(), []);
});

test("parentProcess(): a child sees its parent die (sentinel, isAlive, join), as Python's parent_process()", async (t) => {
  const [mine, theirs] = await Pipe();
  t.after(() => mine.close());
  // A middle process starts a grandchild, tells us, and is killed; the grandchild reports what it saw.
  const middle = started(new Process({ target: startWatcherThenDie, args: [theirs] }), t);
  assert.equal(await mine.recv(), "watcher started");
  const seen = (await mine.recv()) as { before: boolean; joinedEarly: boolean; after: boolean; pid: number };
  await middle.join();
  assert.equal(middle.exitcode, -9);
  assert.deepEqual({ before: seen.before, joinedEarly: seen.joinedEarly, after: seen.after }, { before: true, joinedEarly: false, after: false });
  assert.equal(seen.pid, middle.pid);
});

test("two children talk through a pipe their parent made", async (t) => {
  const [a, b] = await Pipe();
  const results = new Queue<string>();
  const ping = started(
    new Process({
      target: async (conn: Connection) => {
        await conn.send("ping");
        const answer = await conn.recv();
        conn.close();
        return answer;
      },
      args: [a],
    }),
    t,
  );
  const pong = started(
    new Process({
      target: async (conn: Connection, out: Queue<string>) => {
        const got = await conn.recv();
        await conn.send("pong");
        await out.put(`pong got ${String(got)}`);
        try {
          await conn.recv();
        } catch (error) {
          await out.put(`then ${(error as Error).name}`);
        }
      },
      args: [b, results],
    }),
    t,
  );
  assert.equal(await results.get({ timeout: 10_000 }), "pong got ping");
  assert.equal(await results.get({ timeout: 10_000 }), "then EOFError");
  await ping.join();
  await pong.join();
  assert.equal(ping.exitcode, 0);
  assert.equal(pong.exitcode, 0);
});

test("when a child dies, recv on the parent's end rejects EOFError", async (t) => {
  const [mine, theirs] = await Pipe();
  t.after(() => mine.close());
  const p = started(new Process({ target: (conn: Connection) => void conn, args: [theirs] }), t);
  await assert.rejects(mine.recv(), EOFError);
  await p.join();
});

test("a subclass overriding run() runs in the child with its public fields", async () => {
  const script = `
    import { Process, Queue, isMainModule } from ${JSON.stringify(INDEX)};
    export class Greeter extends Process {
      static module = import.meta.url;
      constructor(queue, greeting) { super(); this.queue = queue; this.greeting = greeting; }
      async run() { await this.queue.put(this.greeting + " from " + this.name); }
    }
    if (isMainModule(import.meta)) {
      const q = new Queue();
      const p = new Greeter(q, "hi");
      p.start();
      console.log(await q.get());
      await p.join();
      console.log("exitcode", p.exitcode);
    }
  `;
  const { stdout, code, stderr } = await runScript(script);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /hi from Greeter-1\nexitcode 0/, "named after its class, as in Python");
});

test("the entry script is known however it was named: without its extension, through a symlink, with --preserve-symlinks-main", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "shoal-entry-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, "real"));
  writeFileSync(join(dir, "real", "package.json"), '{ "type": "module" }');
  writeFileSync(
    join(dir, "real", "app.js"),
    `
    import { Process, Queue, isMainModule } from ${JSON.stringify(INDEX)};
    export async function f(q) { await q.put("child ran f"); }
    console.log("top level", isMainModule(import.meta) ? "main" : "imported");
    if (isMainModule(import.meta)) {
      const q = new Queue();
      const p = new Process({ target: f, args: [q] });
      p.start();
      console.log(await q.get());
      await p.join();
    }
  `,
  );
  symlinkSync(join(dir, "real"), join(dir, "link"));
  for (const args of [[join(dir, "real", "app.js")], [join(dir, "real", "app")], [join(dir, "link", "app.js")], ["--preserve-symlinks-main", join(dir, "link", "app")]]) {
    const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) => {
      execFile(process.execPath, args, { timeout: 30_000 }, (error, stdout, stderr) => resolve({ stdout, stderr, code: error ? ((error as { code?: number }).code ?? 1) : 0 }));
    });
    // The entry's top level runs once, in the parent: the child gets f by its source, not by importing the script.
    assert.equal(stdout, "top level main\nchild ran f\n", `node ${args.join(" ")}: ${stderr}`);
    assert.equal(code, 0);
  }
});

test("child stdout and stderr reach the parent's; daemon children die with their parent and may not have children", async () => {
  const script = `
    import { Process, Queue } from ${JSON.stringify(INDEX)};
    const q = new Queue();
    const d = new Process({
      daemon: true,
      args: [q, ${JSON.stringify(INDEX)}],
      target: async (q, index) => {
        console.log("daemon stdout");
        console.error("daemon stderr");
        const mp = await import(index);
        try { new mp.Process({ target: () => 1 }).start(); } catch (e) { await q.put(e.message); }
        await q.put(process.pid);
        await new Promise(() => setInterval(() => {}, 1000));
      },
    });
    d.start();
    console.log("refused:", await q.get());
    console.log("daemon pid", await q.get());
  `;
  const { stdout, stderr, code } = await runScript(script);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /daemon stdout/);
  assert.match(stderr, /daemon stderr/);
  assert.match(stdout, /refused: .*daemonic processes are not allowed to have children/);
  const pid = Number(/daemon pid (\d+)/.exec(stdout)![1]);
  await waitUntil(() => !alive(pid));
});

test("waiting for a daemon child keeps the parent alive: join() and wait() at the top level settle", async () => {
  const script = `
    import { Process, wait } from ${JSON.stringify(INDEX)};
    const sleepy = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    const p = new Process({ target: sleepy, args: [300], daemon: true });
    p.start();
    await p.join();
    console.log("joined", p.exitcode);
    const q = new Process({ target: sleepy, args: [300], daemon: true });
    q.start();
    console.log("ready", (await wait([q])).length, q.exitcode);
    // Waiting is over: a daemon still running does not keep the parent alive any more.
    const r = new Process({ target: sleepy, args: [60_000], daemon: true });
    r.start();
    await r.join({ timeout: 50 });
    console.log("timed out", r.exitcode);
  `;
  const started = performance.now();
  const { stdout, stderr, code } = await runScript(script);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "joined 0\nready 1 0\ntimed out null\n");
  assert.ok(performance.now() - started < 30_000, "the parent did not wait for the last daemon");
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(predicate: () => boolean, timeout = 10_000): Promise<void> {
  const deadline = performance.now() + timeout;
  while (!predicate()) {
    if (performance.now() > deadline) assert.fail("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function runScript(source: string): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const dir = mkdtempSync(join(tmpdir(), "shoal-mp-test-"));
  const file = join(dir, "script.mjs");
  writeFileSync(file, source);
  try {
    const child = spawn(process.execPath, [file], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    clearTimeout(timer);
    return { stdout, stderr, code };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("a child starts in the parent's working directory, also after a chdir (not the spare child's)", async (t) => {
  const here = process.cwd();
  t.after(() => process.chdir(here));
  const cwdOf = async (): Promise<string> => {
    const q = new Queue<string>();
    const p = new Process({ target: async (q: Queue<string>) => q.put(process.cwd()), args: [q] });
    p.start();
    const cwd = await q.get({ timeout: 30_000 });
    await p.join();
    return cwd;
  };
  assert.equal(await cwdOf(), here);
  // The first start left a spare child, booted here.
  process.chdir(tmpdir());
  assert.equal(await cwdOf(), realpathSync(tmpdir()));
  process.chdir(here);
  assert.equal(await cwdOf(), here);
});

test("setExecutable: children (a manager's server and a Pool's workers too) start with the Node binary named; a path that cannot run is refused, naming it", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "shoal-exec-"));
  t.after(() => {
    setExecutable(process.execPath);
    rmSync(dir, { recursive: true, force: true });
  });
  // A wrapper that marks its children, then runs this Node.
  const wrapper = join(dir, "node-wrapper");
  writeFileSync(wrapper, `#!/bin/sh\nSHOAL_VIA_WRAPPER=yes exec ${JSON.stringify(process.execPath)} "$@"\n`, { mode: 0o755 });
  const mark = async (q: Queue<string>) => q.put(process.env["SHOAL_VIA_WRAPPER"] ?? "no");
  const before = new Queue<string>();
  const plain = new Process({ target: mark, args: [before] });
  plain.start();
  assert.equal(await before.get({ timeout: 30_000 }), "no");
  await plain.join();

  setExecutable(wrapper);
  assert.equal(getExecutable(), wrapper);
  assert.equal(getContext("spawn").getExecutable(), wrapper);
  const q = new Queue<string>();
  const p = new Process({ target: mark, args: [q] });
  p.start();
  assert.equal(await q.get({ timeout: 30_000 }), "yes", "not the spare child booted with the old binary");
  await p.join();
  assert.equal(p.exitcode, 0);
  const manager = await Manager();
  try {
    assert.match(readFileSync(`/proc/${manager.pid}/environ`, "latin1"), /(^|\0)SHOAL_VIA_WRAPPER=yes\0/);
  } finally {
    await manager.shutdown();
  }
  // A process Pool's workers too (they were started with process.execPath).
  const pool = new Pool({ processes: 1 });
  try {
    assert.equal(await pool.apply(() => process.env["SHOAL_VIA_WRAPPER"] ?? "no", []), "yes");
  } finally {
    await pool.terminate();
  }

  const notExecutable = join(dir, "plain-file");
  writeFileSync(notExecutable, "", { mode: 0o644 });
  assert.throws(() => setExecutable(join(dir, "missing")), /setExecutable: ".*missing" cannot run children: no such file/);
  assert.throws(() => setExecutable(notExecutable), /setExecutable: ".*plain-file" cannot run children: not executable/);
  assert.throws(() => setExecutable(dir), /cannot run children: not a file/);
  assert.throws(() => setExecutable(42 as unknown as string), /setExecutable: path must be the path of a Node binary: got number 42/);
  assert.equal(getExecutable(), wrapper, "a refused path leaves the last good one");
});

test("Process and Pool check the options of the child's Node process, naming the option", () => {
  const target = (): void => undefined;
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ daemon: "yes" }, /^TypeError: Process: daemon must be a boolean: got "yes"$/],
    [{ execArgv: "--no-warnings" }, /^TypeError: Process: execArgv must be an array of Node flags: got "--no-warnings"$/],
    [{ execArgv: ["--no-warnings", 5] }, /^TypeError: Process: execArgv\[1\] must be a string: got number 5$/],
    [{ env: 5 }, /^TypeError: Process: env must be an object of environment variables: got number 5$/],
  ];
  for (const [options, message] of cases) assert.throws(() => new Process({ target, ...options }), message);
  assert.throws(() => new Pool({ processes: 1, execArgv: "x" as never }), /^TypeError: Pool: execArgv must be an array of Node flags: got "x"$/);
  assert.throws(() => new Pool({ processes: 1, env: 5 as never }), /^TypeError: Pool: env must be an object of environment variables: got number 5$/);
  assert.throws(() => new Pool({ processes: 1, stderr: 5 as never }), /^TypeError: Pool: stderr must be a writable stream \(or null to drop it\): got number 5$/);
  assert.deepEqual(activeChildren().filter((p) => p.name.startsWith("PoolWorker-")), [], "no worker was started");
});
