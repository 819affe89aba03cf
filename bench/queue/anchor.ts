/** Runs bench/queue/anchor_queue.py (Python's queue.Queue) and formats the lines of the queue benchmarks. */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { PYTHON } from "../python.js";

const SCRIPT = fileURLToPath(new URL("../../../bench/queue/anchor_queue.py", import.meta.url));

/** The JSON result of the Python anchor, run with `args`. */
export function python<T>(...args: Array<string | number>): T {
  const out = execFileSync(PYTHON, [SCRIPT, ...args.map(String)], { encoding: "utf8" });
  return JSON.parse(out) as T;
}

/** `1.23M` / `456k` / `789`. */
export function rate(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(0)}k`;
  return value.toFixed(0);
}

/** One result line: shoal, its anchor, the ratio and the goal. */
export function report(what: string, shoal: number, anchorName: string, anchor: number, unit: string, goal: number): void {
  const ratio = shoal / anchor;
  const verdict = ratio >= goal ? "" : "  BELOW GOAL";
  console.log(`${what}: shoal ${rate(shoal)}${unit}  ${anchorName} ${rate(anchor)}${unit}  ratio ${ratio.toFixed(2)}x (goal >= ${goal}x)${verdict}`);
}
