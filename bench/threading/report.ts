/** Shared formatting and anchors of the threading benchmarks. */
import { execFileSync } from "node:child_process";
import { PYTHON } from "../python.js";

/** Formats a rate: 6.51M/s, 475k/s. */
export function rate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)}k/s`;
  return `${perSecond.toFixed(1)}/s`;
}

/** One result line: `what: shoal X  anchor Y  ratio Rx (goal >= Gx)`. */
export function line(what: string, ours: string, ourRate: number, anchor: string, anchorRate: number, goal: number, unit = "ops"): string {
  const ratio = ourRate / anchorRate;
  const verdict = ratio >= goal ? "ok" : "BELOW GOAL";
  return `${what}: ${ours} ${rate(ourRate)}  ${anchor} ${rate(anchorRate)}  ratio ${ratio.toFixed(2)}x (goal >= ${goal}x, ${unit}) ${verdict}`;
}

/** Runs a Python script printing one number (a rate); undefined (and a note) when python3 is missing. */
export function pythonRate(script: string): number | undefined {
  try {
    return Number(execFileSync(PYTHON, ["-c", script], { encoding: "utf8" }).trim());
  } catch (error) {
    console.log(`python3 anchor skipped: ${(error as Error).message.split("\n")[0]}`);
    return undefined;
  }
}

/** Operations per second of `fn` run `n` times (async). */
export async function measure(n: number, fn: (n: number) => Promise<void>): Promise<number> {
  const start = performance.now();
  await fn(n);
  return n / ((performance.now() - start) / 1000);
}
