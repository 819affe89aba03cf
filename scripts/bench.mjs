#!/usr/bin/env node
// `npm run bench [FILTER...]`: installs the anchors if needed, then runs every compiled benchmark
// (dist/bench/**/*.bench.js) one after another. Each prints shoal beside its anchor and the ratio.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function benchFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...benchFiles(path));
    else if (name.endsWith(".bench.js")) out.push(path);
  }
  return out;
}

const install = spawnSync("bash", ["bench/install-anchors.sh"], { stdio: "inherit" });
if (install.status !== 0) process.exit(install.status ?? 1);
const only = process.argv.slice(2);
const files = benchFiles("dist/bench").filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
let failed = 0;
for (const file of files) {
  console.log(`\n== ${file}`);
  const r = spawnSync(process.execPath, ["--expose-gc", file], { stdio: "inherit" });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
