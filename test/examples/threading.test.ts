/**
 * Runs every compiled example of examples/threading (100x faster: SHOAL_EXAMPLE_SCALE=0.01) and
 * checks what it shows.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

interface Run {
  stdout: string;
  stderr: string;
  code: number | null;
  ms: number;
}

function run(name: string, args: string[] = [], scale = "0.01"): Promise<Run> {
  const file = fileURLToPath(new URL(`../../examples/threading/${name}.js`, import.meta.url));
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [file, ...args], { env: { ...process.env, SHOAL_EXAMPLE_SCALE: scale }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ stdout, stderr, code: error ? ((error as { code?: number }).code ?? 1) : 0, ms: performance.now() - started });
    });
  });
}

function lines(out: string): string[] {
  return out.trim().split("\n");
}

test("direct-threads: both targets run, names are Thread-N (sayhi)", async () => {
  const r = await run("direct-threads");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r.stdout), ["running on number:1", "running on number:2", "Thread-1 (sayhi)", "Thread-2 (sayhi)"]);
});

test("subclass-threads: run() overridden", async () => {
  const r = await run("subclass-threads");
  assert.deepEqual(lines(r.stdout), ["running on number:1", "running on number:2"]);
});

test("join-fifty: 50 threads run at once; joining them takes about one sleep", async () => {
  const r = await run("join-fifty");
  const out = lines(r.stdout);
  assert.equal(out.filter((l) => l.endsWith("------running-----")).length, 50);
  assert.equal(out.filter((l) => l === "----done----").length, 50);
  const seconds = Number(/main over\.\.\.\.time:(\S+)/.exec(r.stdout)?.[1]);
  assert.ok(seconds < 0.02 * 5, `joined in ${seconds}s; 50 sequential sleeps would take 1s`);
});

test("no-join prints 0..4 first; join prints the thread's id first", async () => {
  assert.deepEqual(lines((await run("no-join")).stdout), ["0", "1", "2", "3", "4", "999"]);
  assert.deepEqual(lines((await run("join")).stdout), ["999", "0", "1", "2", "3", "4"]);
});

test("daemon: the process exits without waiting for the daemon thread; non-daemon waits", async () => {
  const daemon = await run("daemon", [], "1");
  assert.deepEqual(lines(daemon.stdout), ["I am the father thread."]);
  assert.ok(daemon.ms < 4000, `took ${daemon.ms} ms; the thread sleeps 5 s`);
  const waits = await run("daemon", ["--no-daemon"]);
  assert.deepEqual(lines(waits.stdout), ["I am the father thread.", "This is Thread-1"]);
});

test("counter-lock: 100 threads decrement under a Lock, final num is 0", async () => {
  const r = await run("counter-lock");
  assert.equal(lines(r.stdout).filter((l) => l.startsWith("--get num:")).length, 100);
  assert.match(r.stdout, /^final num: 0$/m);
});

test("counter-no-lock: atomic on one event loop, lost updates across an await", async () => {
  const r = await run("counter-no-lock");
  assert.match(r.stdout, /^final num: 0$/m);
  const racy = Number(/final racy num .*: (\d+)/.exec(r.stdout)?.[1]);
  assert.ok(racy > 0, "the read-await-write version loses updates");
});

test("rlock: run3 re-enters through run1 and run2; all 10 threads finish", async () => {
  const r = await run("rlock");
  const out = lines(r.stdout);
  assert.equal(out.filter((l) => l === "--------between run1 and run2-----").length, 10);
  assert.equal(out.at(-2), "----all threads done---");
  assert.equal(out.at(-1), "10 10");
});

test("bounded-semaphore: 20 threads, never more than 5 inside", async () => {
  const r = await run("bounded-semaphore");
  const inside = [...r.stdout.matchAll(/run the thread: \d+ \(inside: (\d+)\)/g)].map((m) => Number(m[1]));
  assert.equal(inside.length, 20);
  assert.ok(Math.max(...inside) <= 5 && Math.max(...inside) >= 1);
  assert.match(r.stdout, /----all threads done---/);
});

test("timer: hello, world after the interval", async () => {
  const r = await run("timer");
  assert.deepEqual(lines(r.stdout), ["hello, world"]);
  assert.ok(r.ms >= 300, "it waited (30 s x 0.01)");
});

test("traffic-light: green, yellow, red in order; cars stop after the bound", async () => {
  const r = await run("traffic-light", ["1"]);
  assert.equal(r.code, 0, r.stderr);
  const lights = lines(r.stdout).filter((l) => l.includes("light on")).map((l) => /--(\w+) light on/.exec(l)?.[1]);
  assert.deepEqual(lights, [...Array(10).fill("green"), ...Array(3).fill("yellow"), ...Array(7).fill("red")]);
  for (const l of lines(r.stdout).filter((l) => l.startsWith("car"))) assert.match(l, /^car \[[0-2]\] is (running\.\.|waiting for the red light\.\.)$/);
});

test("door: every staff member gets through; the daemon door does not hold the process", async () => {
  const r = await run("door");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(lines(r.stdout).filter((l) => l.includes("door is opened, passing")).length, 5);
  assert.match(r.stdout, /door closed\.\.\.\., swipe to open\./);
});
