/** Shared helpers of the manager benchmarks: the Python anchor and the report line. */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { PYTHON } from "../python.js";

const ANCHOR = fileURLToPath(new URL("../../../bench/manager/anchor_manager.py", import.meta.url));

/** Runs Python's Manager anchor; resolves its rate (per second). */
export function pythonRate(what: "dict" | "queue", ...counts: number[]): number {
  const run = spawnSync(PYTHON, [ANCHOR, what, ...counts.map(String)], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`python3 anchor failed: ${run.stderr}`);
  return (JSON.parse(run.stdout.trim().split("\n").at(-1)!) as { rate: number }).rate;
}

function human(rate: number): string {
  return rate >= 1e6 ? `${(rate / 1e6).toFixed(2)}M/s` : `${(rate / 1e3).toFixed(1)}k/s`;
}

/** Prints `what: shoal X  python Y  ratio Zx (goal >= Gx)`. */
export function report(what: string, shoal: number, python: number, goal: number): void {
  console.log(`${what}: shoal ${human(shoal)}  python ${human(python)}  ratio ${(shoal / python).toFixed(2)}x (goal >= ${goal}x)`);
}
