/**
 * Open-file limits: every running host holds a socket (and with -o two files, with spilled output one
 * more), so forks must fit under `ulimit -n`. Node has no getrlimit: Linux tells through /proc.
 */
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";

/** The soft limit of open files of this process, or undefined when it cannot be read. */
export function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    if (m) return m[1] === "unlimited" ? Infinity : Number(m[1]);
  } catch {
    /* not Linux: ask the shell */
  }
  try {
    const out = execFileSync("/bin/sh", ["-c", "ulimit -n"], { encoding: "utf8" }).trim();
    return out === "unlimited" ? Infinity : Number(out) || undefined;
  } catch {
    return undefined;
  }
}

/** Default hosts at a time: ClusterShell's fanout. */
export const DEFAULT_FORKS = 64;

/** Descriptors Node, the terminal and the reporters keep for themselves. */
export const RESERVED_FDS = 64;

export interface ForkPlan {
  forks: number;
  /** Set when forks had to shrink: says why and what to do. */
  warning?: string | undefined;
}

/** Fits forks under the open-file limit. */
export function planForks(forks: number, fdsPerHost: number, limit: number | undefined = openFileLimit()): ForkPlan {
  if (limit === undefined || limit === Infinity) return { forks };
  const fit = Math.max(1, Math.floor((limit - RESERVED_FDS) / fdsPerHost));
  if (forks <= fit) return { forks };
  return {
    forks: fit,
    warning: `shoal: forks ${forks} needs about ${forks * fdsPerHost + RESERVED_FDS} open files but ulimit -n is ${limit}: running ${fit} hosts at a time (raise it with ulimit -n ${forks * fdsPerHost + RESERVED_FDS})`,
  };
}
