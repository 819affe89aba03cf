/**
 * Stop signals between a command's phases: the early lookups' handler gives way to the run's while
 * ssh2 loads, and a Ctrl-C that comes meanwhile must reach the run (it was lost: removing the
 * last listener closes Node's handle for the signal, and the run then went on to its end).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const MODULE = fileURLToPath(new URL("../../src/cli/stop-signals.js", import.meta.url));

/** Runs `body` in a fresh node process (signals are process-wide), with the module as `m`. */
function inChild(body: string): { status: number | null; stdout: string } {
  const script = `const m = await import(${JSON.stringify(MODULE)});\n${body}`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 20_000 });
  return { status: r.status, stdout: r.stdout };
}

test("a signal that comes while the loop is busy and one phase hands over to the next reaches the next", () => {
  const r = inChild(`
    const first = m.onStopSignals(() => console.log("first"));
    process.kill(process.pid, "SIGTERM");
    const until = Date.now() + 50; while (Date.now() < until) {} // the loop is busy (ssh2 loading)
    first();
    setTimeout(() => m.onStopSignals((s) => { console.log("second " + s); process.exit(0); }), 20);
    setTimeout(() => { console.log("lost"); process.exit(1); }, 5000);
  `);
  assert.equal(r.stdout.trim(), "second SIGTERM");
  assert.equal(r.status, 0);
});

test("with no phase listening, a second stop signal ends the command at once with 128 + its number", () => {
  const r = inChild(`
    m.onStopSignals(() => {})();
    process.kill(process.pid, "SIGINT");
    setTimeout(() => process.kill(process.pid, "SIGINT"), 50);
    setTimeout(() => { console.log("still running"); process.exit(0); }, 5000);
  `);
  assert.equal(r.status, 130);
  assert.equal(r.stdout, "");
});

test("a phase's handler is restored to the one before it", () => {
  const r = inChild(`
    m.onStopSignals((s) => { console.log("outer " + s); process.exit(0); });
    const inner = m.onStopSignals(() => console.log("inner"));
    inner();
    process.kill(process.pid, "SIGHUP");
    setTimeout(() => process.exit(1), 5000);
  `);
  assert.equal(r.stdout.trim(), "outer SIGHUP");
});
