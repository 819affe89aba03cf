import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../shoal.mjs", import.meta.url));

test("shoal demo (npm start) runs the tour on a testbed and stops everything", { timeout: 120_000 }, async () => {
  const child = spawn(process.execPath, [MAIN, "demo", "--hosts", "12"], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  assert.equal(code, 0, out);
  // The testbed, its two faulty hosts, and each step of the tour.
  assert.match(out, /shoal demo: 12 SSH hosts started/);
  assert.match(out, /two are faulty: cache03 never answers \(no SSH banner\), db02 drops the connection mid-command/);
  assert.match(out, /^web01\s*:\s*hello from web01/m);
  assert.match(out, /\$ shoal run -b '\*'/);
  assert.match(out, /^cache\[01-02\],db\[01,03\],web\[01-06\] \(10\)$/m);
  assert.match(out, /put 1 file \(2\.0 MiB\)/);
  assert.match(out, /12 hosts in \S+: ok 10, timeout 1, unreachable 1/);
  assert.match(out, /10 hosts in \S+: ok 10/);
  assert.match(out, /That was shoal\./);
});
