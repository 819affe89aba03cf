/**
 * Drives one fleet run through the CLI's reporters, for the shell and the demo: live lines (or
 * gathered output), a status line per host as it ends, then the summary.
 */
import cliProgress from "cli-progress";
import type { FleetRun } from "../../fleet/fleet.js";
import type { FleetEvent, HostResult } from "../../fleet/events.js";
import { formatDuration } from "../../fleet/duration.js";
import { formatSummary, summarize } from "../../fleet/summary.js";
import { GatherReporter, LineReporter, TransferBar, TransferLines, transferBarFormat, write as writeOut, type Reporter } from "../reporters.js";

/** How a run is shown. */
export interface ViewOptions {
  /** Colours (a terminal that wants them). */
  color: boolean;
  /** Output goes to a terminal: live redraws and a progress bar are allowed. */
  tty: boolean;
  /** Width of the host column. */
  hostWidth: number;
  /** Number of hosts in the run. */
  total: number;
  /** `run`: live lines, or gathered outputs; `put`/`get`: a progress bar (bytes to move, when known). */
  mode: { kind: "live" } | { kind: "gather" } | { kind: "put"; totalBytes: number } | { kind: "get" };
  /** One line per host as it ends (default true for runs). */
  statusLines?: boolean;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}

/** What a driven run left behind. */
export interface DrivenRun {
  results: HostResult[];
  elapsedMs: number;
}

/** Reads every event of `run` into the view, prints the summary, and resolves with the results. */
export async function drive(run: FleetRun, view: ViewOptions): Promise<DrivenRun> {
  const out = view.out ?? process.stdout;
  const err = view.err ?? process.stderr;
  const startedAt = performance.now();
  const reporters: Reporter[] = [];
  const { mode } = view;
  if (mode.kind === "live") reporters.push(new LineReporter({ color: view.color, hostWidth: view.hostWidth, out, err }));
  else if (mode.kind === "gather") {
    // Errors are in the summary; printed live they would land on the gatherer's status line.
    reporters.push(new GatherReporter({ tty: view.tty, color: view.color, total: view.total, out }));
  } else if (view.tty) {
    const bar = new cliProgress.SingleBar({ format: transferBarFormat(mode.kind), hideCursor: true, stream: err, etaBuffer: 50, clearOnComplete: false }, cliProgress.Presets.shades_classic);
    reporters.push(new TransferBar(bar, view.total, mode.kind === "put" ? mode.totalBytes : 0));
  } else reporters.push(new TransferLines(mode.kind, view.hostWidth));
  const statusLines = view.statusLines ?? (mode.kind === "live" || mode.kind === "gather");
  const results: HostResult[] = [];
  for await (const ev of run) {
    if (ev.type === "done") results.push(ev.result);
    for (const reporter of reporters) {
      const pending = reporter.event(ev);
      if (pending) await pending;
    }
    if (statusLines && ev.type === "done" && mode.kind === "live") await writeOut(err, statusLine(ev, view));
  }
  for (const reporter of reporters) await reporter.end?.();
  if (statusLines && mode.kind === "gather") {
    // Gathered, a line per host that is fine would undo the gathering: only the others are named.
    for (const result of results) if (result.state !== "ok") await writeOut(err, statusLine({ type: "done", host: result.host, time: 0, result }, view));
  }
  const elapsedMs = performance.now() - startedAt;
  await writeOut(err, formatSummary(summarize(results, elapsedMs), { color: view.color }));
  return { results, elapsedMs };
}

/** `web01  ok  0.05s` (or the failure's reason), dimmed when all is well. */
function statusLine(ev: Extract<FleetEvent, { type: "done" }>, view: ViewOptions): string {
  const r = ev.result;
  const name = ev.host.padEnd(Math.min(view.hostWidth, 32));
  const detail = r.state === "ok" ? formatDuration(r.durationMs) : (r.reason ?? r.state);
  const text = `${name}  ${r.state.padEnd(11)} ${detail}`;
  if (!view.color) return `${text}\n`;
  return r.state === "ok" ? `\x1b[2m${text}\x1b[0m\n` : `\x1b[31m${text}\x1b[0m\n`;
}


