/**
 * The end of every run: counts per final state, the hosts that are not ok grouped by reason as
 * compact ranges, and the exit status.
 */
import type { FinalState, HostResult } from "./events.js";
import { FINAL_STATES } from "./events.js";
import { foldHosts } from "./host-range.js";
import { formatDuration } from "./duration.js";

export interface Summary {
  total: number;
  counts: Record<FinalState, number>;
  /** Hosts not ok, by state then reason: `failed: exit 3 -> [web03, web07]`. */
  problems: { state: FinalState; reason: string; hosts: string[] }[];
  /** The run's wall time, when the caller measured it (the summary's first line then says it). */
  elapsedMs?: number | undefined;
}

export function summarize(results: readonly HostResult[], elapsedMs?: number): Summary {
  const counts = Object.fromEntries(FINAL_STATES.map((s) => [s, 0])) as Record<FinalState, number>;
  const groups = new Map<string, { state: FinalState; reason: string; hosts: string[] }>();
  for (const r of results) {
    counts[r.state]++;
    if (r.state === "ok") continue;
    const reason = r.reason ?? r.state;
    const key = `${r.state}\u0000${reason}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { state: r.state, reason, hosts: [] }));
    g.hosts.push(r.host);
  }
  const order = (s: FinalState) => FINAL_STATES.indexOf(s);
  const problems = [...groups.values()].sort((a, b) => order(a.state) - order(b.state) || b.hosts.length - a.hosts.length);
  return { total: results.length, counts, problems, elapsedMs };
}

/**
 * The exit status of a run: 0 all ok; 1 a command exited non-zero somewhere; 2 a host could not be
 * reached, authenticated or finished in time (that wins over 1).
 */
export function exitStatusOf(results: readonly HostResult[]): 0 | 1 | 2 {
  let status: 0 | 1 | 2 = 0;
  for (const r of results) {
    if (r.state === "ok") continue;
    if (r.state === "failed") status = status === 2 ? 2 : 1;
    else return 2;
  }
  return status;
}

const COLORS: Record<FinalState, string> = { ok: "32", failed: "31", timeout: "33", unreachable: "35", auth: "35", hostkey: "35", killed: "33" };

/** The summary as people read it. */
export function formatSummary(s: Summary, options: { color?: boolean; savedSets?: readonly string[] } = {}): string {
  const paint = (state: FinalState, text: string) => (options.color ? `\x1b[${COLORS[state]}m${text}\x1b[0m` : text);
  const counts = FINAL_STATES.filter((st) => s.counts[st] > 0 || st === "ok").map((st) => paint(st, `${st} ${s.counts[st]}`));
  // Without the run's wall time (it is the caller's to measure), no "in 0ms".
  const lines = [`${s.total} host${s.total === 1 ? "" : "s"}${s.elapsedMs === undefined ? "" : ` in ${formatDuration(s.elapsedMs)}`}: ${counts.join(", ")}`];
  for (const p of s.problems) lines.push(`  ${paint(p.state, p.state.padEnd(11))} ${p.reason}: ${foldHosts(p.hosts).join(",")} (${p.hosts.length})`);
  if (options.savedSets?.length) lines.push(`  saved: ${options.savedSets.map((n) => "@" + n).join(" ")}`);
  return lines.join("\n") + "\n";
}
