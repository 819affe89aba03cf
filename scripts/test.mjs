#!/usr/bin/env node
// The README's test command, after `npm run build` and `npm run lint` (see "pretest"):
// makes sure OpenSSH's sshd is there for the SSH tests, then runs every compiled test file
// with node's built-in runner. Files are listed explicitly so that Node 20 and later agree.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const SSHD = "/usr/sbin/sshd";

function ensureSshd() {
  if (existsSync(SSHD)) return;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const hasApt = existsSync("/usr/bin/apt-get");
  if (isRoot && hasApt) {
    console.log("shoal tests: OpenSSH's sshd is missing; installing Debian's openssh-server (apt-get install -y openssh-server)");
    execFileSync("apt-get", ["update"], { stdio: "inherit" });
    execFileSync("apt-get", ["install", "-y", "openssh-server"], {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    if (existsSync(SSHD)) return;
  }
  console.error("shoal tests need OpenSSH's sshd, which is missing. Install it with:\n\n  sudo apt-get install -y openssh-server\n");
  process.exit(1);
}

function testFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...testFiles(path));
    else if (name.endsWith(".test.js")) out.push(path);
  }
  return out;
}

ensureSshd();
const only = process.argv.slice(2);
const files = testFiles("dist/test").filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
if (files.length === 0) {
  console.error("shoal tests: no compiled test files under dist/test (run `npm run build`)");
  process.exit(1);
}
const result = spawnSync(process.execPath, ["--test", "--test-timeout=300000", ...files], { stdio: "inherit" });
process.exit(result.status ?? 1);
