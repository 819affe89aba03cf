/** Runs the Python anchor (anchor_mp.py) and reads its JSON line. */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { PYTHON } from "../python.js";

const ANCHOR = fileURLToPath(new URL("../../../bench/multiprocessing/anchor_mp.py", import.meta.url));

export function python<T>(kind: string, ...args: number[]): T {
  const out = execFileSync(PYTHON, [ANCHOR, kind, ...args.map(String)], { encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").pop()!) as T;
}

/** `label: shoal X  python Y  ratio Zx (goal ...)`; `higherIsBetter` decides which way the ratio goes. */
export function report(label: string, shoal: number, anchor: number, unit: string, goal: string, higherIsBetter = true): void {
  const ratio = higherIsBetter ? shoal / anchor : anchor / shoal;
  const fmt = (v: number): string => (v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : v.toFixed(1));
  console.log(`${label}: shoal ${fmt(shoal)}${unit}  python ${fmt(anchor)}${unit}  ratio ${ratio.toFixed(2)}x (goal ${goal})`);
}
