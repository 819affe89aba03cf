#!/usr/bin/env node
// The README's test command, after `npm run build` and `npm run lint` (see "pretest"):
// makes sure OpenSSH's sshd and tmux are there, then runs every compiled test file
// with node's built-in runner. Files are listed explicitly so that Node 20 and later agree.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

// What the tests drive for real: OpenSSH's sshd (the SSH and fleet tests) and tmux (the shell
// test types into `shoal shell` through a pseudo-terminal, as a person would).
const NEEDS = [
  { what: "OpenSSH's sshd", path: "/usr/sbin/sshd", pkg: "openssh-server" },
  { what: "tmux", path: "/usr/bin/tmux", pkg: "tmux" },
];

function ensureTools() {
  const missing = NEEDS.filter((n) => !existsSync(n.path));
  if (missing.length === 0) return;
  const pkgs = missing.map((n) => n.pkg);
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (isRoot && existsSync("/usr/bin/apt-get")) {
    console.log(`shoal tests: ${missing.map((n) => n.what).join(" and ")} missing; installing Debian's ${pkgs.join(" ")} (apt-get install -y ${pkgs.join(" ")})`);
    execFileSync("apt-get", ["update"], { stdio: "inherit" });
    execFileSync("apt-get", ["install", "-y", ...pkgs], {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    if (NEEDS.every((n) => existsSync(n.path))) return;
  }
  console.error(`shoal tests need ${missing.map((n) => n.what).join(" and ")}, which ${missing.length > 1 ? "are" : "is"} missing. Install with:\n\n  sudo apt-get install -y ${pkgs.join(" ")}\n`);
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

ensureTools();
const only = process.argv.slice(2);
const files = testFiles("dist/test").filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
if (files.length === 0) {
  console.error("shoal tests: no compiled test files under dist/test (run `npm run build`)");
  process.exit(1);
}
const result = spawnSync(process.execPath, ["--test", "--test-timeout=300000", ...files], { stdio: "inherit" });
process.exit(result.status ?? 1);
