/**
 * The CLI's reporters: each reads the run's events and writes one view of them.
 * They see every event in order; a returned promise is awaited (backpressure up to the runner).
 */
import { constants, createWriteStream } from "node:fs";
import type { WriteStream } from "node:fs";
import { access, mkdir, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { FleetEvent, HostResult } from "../fleet/events.js";
import { Gatherer } from "../fleet/gather.js";
import { OutputStore } from "../fleet/output-store.js";
import type { HostOutput } from "../fleet/output-store.js";
import { describeHosts } from "../fleet/host-range.js";
import { formatDuration } from "../fleet/duration.js";
import type { HostKeyNote } from "../fleet/known-hosts.js";

export interface Reporter {
  event(ev: FleetEvent): void | Promise<void>;
  /** After the last event. */
  end?(): void | Promise<void>;
}

const PALETTE = ["36", "32", "33", "35", "34", "96", "92", "93", "95", "94"];

function colorOf(host: string): string {
  let h = 0;
  for (const c of host) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length]!;
}

/**
 * Writes to a stream, resolving when it can take more (so a slow terminal or pipe slows the run).
 * A stream whose reader has gone (`| head`) takes nothing more and is not waited for.
 */
export function write(stream: NodeJS.WritableStream, text: string): void | Promise<void> {
  const writable = stream as NodeJS.WritableStream & { destroyed?: boolean };
  if (writable.destroyed) return;
  if (stream.write(text)) return;
  return eitherEvent(stream, "drain", "close");
}

/** Resolves at the first of two events, leaving no listener behind (one per wait piled up on long outputs). */
function eitherEvent(emitter: NodeJS.EventEmitter, first: string, second: string): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      emitter.removeListener(first, done);
      emitter.removeListener(second, done);
      resolve();
    };
    emitter.once(first, done);
    emitter.once(second, done);
  });
}

/**
 * What a terminal would leave of a line: a carriage return inside it (a progress counter,
 * `10%\r50%\rdone`) goes back to the line's start, over shoal's prefix; the text after the last one
 * is what shows. A line's closing `\r` (a pty's `\r\n`) goes.
 */
function visiblePart(line: string): string {
  const text = line.endsWith("\r") ? line.slice(0, -1) : line;
  return text.slice(text.lastIndexOf("\r") + 1);
}

/** Longest line kept waiting for its newline before it is printed anyway. */
const MAX_LINE = 64 * 1024;

/**
 * Live output, one whole line at a time, prefixed with the host: `web01: text`. Partial lines wait
 * for their end (or the host's end), so two hosts never share a line.
 */
export class LineReporter implements Reporter {
  readonly #partial = new Map<string, string>();
  /** Streams whose last piece was a long line cut at MAX_LINE: the newline that ends it is not a line of its own. */
  readonly #cut = new Set<string>();
  readonly #color: boolean;
  readonly #width: number;
  readonly #out: NodeJS.WritableStream;
  readonly #err: NodeJS.WritableStream;
  readonly #showErrors: boolean;

  /** Called before each write: a status line on the same terminal (-b's) must not share it. */
  readonly #beforeWrite: (() => void) | undefined;

  /** Whether stdout lines are shown (with -b, stdout is gathered instead). */
  readonly #showStdout: boolean;

  constructor(options: { color: boolean; hostWidth: number; out?: NodeJS.WritableStream; err?: NodeJS.WritableStream; showStdout?: boolean; showErrors?: boolean; beforeWrite?: () => void }) {
    this.#beforeWrite = options.beforeWrite;
    this.#showStdout = options.showStdout ?? true;
    this.#color = options.color;
    this.#width = Math.min(options.hostWidth, 32);
    this.#out = options.out ?? process.stdout;
    this.#err = options.err ?? process.stderr;
    this.#showErrors = options.showErrors ?? true;
  }

  #prefix(host: string): string {
    return this.#color ? `\x1b[${colorOf(host)}m${host}:\x1b[0m${hostPad(host, this.#width)}` : hostLabel(host, this.#width);
  }

  event(ev: FleetEvent): void | Promise<void> {
    if (ev.type === "stdout" && !this.#showStdout) return;
    if (ev.type === "stdout" || ev.type === "stderr") {
      const key = `${ev.type}\u0000${ev.host}`;
      let text = (this.#partial.get(key) ?? "") + ev.data;
      if (this.#cut.delete(key) && text.startsWith("\n")) text = text.slice(1);
      if (text === "") return;
      const cut = text.lastIndexOf("\n");
      if (cut < 0 && text.length < MAX_LINE) {
        this.#partial.set(key, text);
        return;
      }
      // A line longer than MAX_LINE goes out in pieces, each with its prefix.
      if (cut < 0) this.#cut.add(key);
      const whole = cut < 0 ? text + "\n" : text.slice(0, cut + 1);
      this.#partial.set(key, cut < 0 ? "" : text.slice(cut + 1));
      return this.#lines(ev.type, ev.host, whole);
    }
    // Host-key problems are shown once, in the table at the end, not host by host.
    if (ev.type === "error" && this.#showErrors && !ev.retrying && ev.kind !== "hostkey") {
      const msg = this.#color ? `\x1b[31m${ev.message}\x1b[0m` : ev.message;
      this.#beforeWrite?.();
      return write(this.#err, `${this.#prefix(ev.host)}${msg}\n`);
    }
    if (ev.type === "done") {
      const writes: (void | Promise<void>)[] = [];
      for (const stream of ["stdout", "stderr"] as const) {
        const key = `${stream}\u0000${ev.host}`;
        const rest = this.#partial.get(key);
        this.#partial.delete(key);
        this.#cut.delete(key);
        if (rest) writes.push(this.#lines(stream, ev.host, rest + "\n"));
      }
      const pending = writes.filter((w): w is Promise<void> => w instanceof Promise);
      if (pending.length) return Promise.all(pending).then(() => {});
    }
  }

  #lines(stream: "stdout" | "stderr", host: string, text: string): void | Promise<void> {
    const prefix = this.#prefix(host);
    const body = text.slice(0, -1).split("\n").map((l) => prefix + visiblePart(l)).join("\n") + "\n";
    this.#beforeWrite?.();
    return write(stream === "stdout" ? this.#out : this.#err, body);
  }
}

/**
 * `-b`: identical outputs gathered under compact host ranges; on a TTY a status line shows the
 * groups so far while hosts finish. Output past a memory budget spills to disk, and stays there:
 * each distinct output is kept once (the first host's), and read back only to be printed, one
 * group at a time, at the end. A host that timed out or was stopped is gathered too when it
 * printed something (what it printed, until then).
 */
export class GatherReporter implements Reporter {
  readonly #store = new OutputStore();
  readonly #outputs = new Map<string, HostOutput>();
  /** The first host's output of each group, by digest, to print at the end. */
  readonly #kept = new Map<string, HostOutput>();
  readonly #gatherer = new Gatherer();
  readonly #tty: boolean;
  readonly #color: boolean;
  readonly #out: NodeJS.WritableStream;
  readonly #total: number;
  #done = 0;
  #lastDraw = 0;
  /** Whether the status line is on the screen (other writers clear it first). */
  #shown = false;

  constructor(options: { tty: boolean; color: boolean; total: number; out?: NodeJS.WritableStream }) {
    this.#tty = options.tty;
    this.#color = options.color;
    this.#total = options.total;
    this.#out = options.out ?? process.stdout;
  }

  async event(ev: FleetEvent): Promise<void> {
    if (ev.type === "stdout") {
      let o = this.#outputs.get(ev.host);
      if (!o) this.#outputs.set(ev.host, (o = this.#store.create(ev.host)));
      await o.append(Buffer.from(ev.data));
    } else if (ev.type === "done") {
      this.#done++;
      const o = this.#outputs.get(ev.host);
      this.#outputs.delete(ev.host);
      await o?.close();
      const finished = ev.result.state === "ok" || ev.result.state === "failed";
      if (!o || o.size === 0) {
        if (finished) this.#gatherer.add(ev.host, "", "");
        await o?.release();
      } else if (this.#kept.has(o.digest)) {
        // An output seen before is not kept twice: a hundred hosts printing the same megabytes hold one copy.
        this.#gatherer.add(ev.host, "", o.digest);
        await o.release();
      } else {
        this.#gatherer.add(ev.host, "", o.digest);
        this.#kept.set(o.digest, o);
      }
      if (this.#tty && (!this.#shown || performance.now() - this.#lastDraw > 100)) this.#draw();
    }
  }

  /** Takes the status line off the screen, for a line another reporter writes (it comes back with the next host). */
  clearStatus(): void {
    if (!this.#shown) return;
    this.#shown = false;
    this.#out.write("\r\x1b[K");
  }

  #draw(): void {
    this.#lastDraw = performance.now();
    this.#shown = true;
    const cols = (this.#out as NodeJS.WriteStream).columns || 80;
    const line = `[${this.#done}/${this.#total}] ${this.#gatherer.headers().join(" | ")}`;
    this.#out.write(`\r\x1b[K${line.length > cols - 1 ? line.slice(0, cols - 2) + "…" : line}`);
  }

  async end(): Promise<void> {
    this.clearStatus();
    for (const g of this.#gatherer.groups()) {
      const o = this.#kept.get(g.key);
      const body = (await o?.text()) ?? "";
      await write(this.#out, this.#gatherer.formatGroup({ ...g, output: body }, { color: this.#color }));
      await o?.release();
    }
    this.#kept.clear();
    await this.#store.dispose();
  }
}

/** `--json`: every event as one JSON line (NDJSON), then a summary line. */
export class JsonReporter implements Reporter {
  readonly #out: NodeJS.WritableStream;
  constructor(out: NodeJS.WritableStream = process.stdout) {
    this.#out = out;
  }
  event(ev: FleetEvent): void | Promise<void> {
    if (ev.type === "stdout" || ev.type === "stderr") {
      // The text, as the NDJSON events promise; the raw bytes stay out of it.
      const { bytes: _bytes, ...text } = ev;
      return write(this.#out, JSON.stringify({ ...text, time: Math.round(ev.time) }) + "\n");
    }
    const e = ev.type === "done" ? { ...ev, result: { ...ev.result, durationMs: Math.round(ev.result.durationMs), connectMs: ev.result.connectMs === undefined ? undefined : Math.round(ev.result.connectMs) } } : ev;
    return write(this.#out, JSON.stringify({ ...e, time: Math.round(ev.time) }) + "\n");
  }
  line(obj: object): void | Promise<void> {
    return write(this.#out, JSON.stringify(obj) + "\n");
  }
}

/**
 * Checks, before anything connects, that `dir` is a folder shoal can write in, making it (and
 * its parents) if needed. Throws an Error saying why not.
 */
export async function prepareOutDir(dir: string): Promise<void> {
  const missing: string[] = [];
  let at = resolve(dir);
  // Made a level at a time: Node's recursive mkdir never returns under /proc.
  for (;;) {
    const info = await stat(at).catch((error: NodeJS.ErrnoException) => (error.code === "ENOENT" ? undefined : Promise.reject(error)));
    if (info !== undefined) {
      if (!info.isDirectory()) throw new Error(`${at} is not a folder`);
      break;
    }
    missing.unshift(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const folder of missing) await mkdir(folder);
  await access(dir, constants.W_OK);
}

/**
 * `-o DIR`: each host's stdout and stderr in DIR/HOST.stdout and DIR/HOST.stderr, as the bytes
 * came (DIR checked beforehand). Files are open only while the host runs.
 */
export class OutDirReporter implements Reporter {
  readonly #dir: string;
  readonly #files = new Map<string, WriteStream>();
  readonly #failed = new Set<string>();
  constructor(dir: string) {
    this.#dir = dir;
  }
  #file(host: string, stream: "stdout" | "stderr"): WriteStream | undefined {
    const key = `${host}.${stream}`;
    if (this.#failed.has(key)) return undefined;
    let f = this.#files.get(key);
    if (!f) {
      const path = join(this.#dir, key.replace(/[/\\]/g, "_"));
      this.#files.set(key, (f = createWriteStream(path)));
      // A file that cannot be written (a folder of that name, a full disk): said once, and the
      // run goes on; the host's output still reaches the other reporters.
      f.on("error", (error: Error) => {
        if (this.#failed.has(key)) return;
        this.#failed.add(key);
        this.#files.delete(key);
        process.stderr.write(`shoal: cannot write ${path}: ${error.message}\n`);
      });
    }
    return f;
  }
  async event(ev: FleetEvent): Promise<void> {
    if (ev.type === "connected") {
      this.#file(ev.host, "stdout");
      this.#file(ev.host, "stderr");
    } else if (ev.type === "stdout" || ev.type === "stderr") {
      const f = this.#file(ev.host, ev.type);
      if (f !== undefined && ev.bytes.length > 0 && !f.write(ev.bytes)) await eitherEvent(f, "drain", "error");
    } else if (ev.type === "done") {
      for (const s of ["stdout", "stderr"]) {
        const f = this.#files.get(`${ev.host}.${s}`);
        this.#files.delete(`${ev.host}.${s}`);
        if (f && !f.destroyed) await new Promise<void>((r) => f.end(() => r()).once("error", () => r()));
      }
    }
  }
}

function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? Math.round(n) : n.toFixed(1)} ${units[i]}`;
}

/** put/get without a TTY: one plain line per host when it ends. */
export class TransferLines implements Reporter {
  readonly #verb: string;
  readonly #width: number;
  constructor(verb: "put" | "get", hostWidth: number) {
    this.#verb = verb;
    this.#width = Math.min(hostWidth, 32);
  }
  event(ev: FleetEvent): void | Promise<void> {
    if (ev.type !== "done") return;
    const r = ev.result;
    if (r.state !== "ok") return write(process.stderr, `${hostLabel(ev.host, this.#width)}${r.state}: ${r.reason ?? ""}\n`);
    const what = [
      `${r.files ?? 0} file${r.files === 1 ? "" : "s"} (${bytes(r.bytes ?? 0)})`,
      r.links ? `${r.links} link${r.links === 1 ? "" : "s"}` : "",
      r.skipped ? `${r.skipped} unchanged` : "",
      r.ignored ? `${r.ignored} not copied (neither file, folder nor link)` : "",
    ]
      .filter(Boolean)
      .join(", ");
    return write(process.stdout, `${hostLabel(ev.host, this.#width)}${this.#verb} ${what} in ${formatDuration(r.durationMs)}\n`);
  }
}

/** `web01:  `, the colon after the name and the padding after it, so that what follows lines up. */
function hostLabel(host: string, width: number): string {
  return `${host}:${hostPad(host, width)}`;
}

function hostPad(host: string, width: number): string {
  return " ".repeat(Math.max(0, width - host.length) + 1);
}

/** What TransferBar needs of a progress bar (cli-progress's SingleBar has it). */
export interface ProgressBarLike {
  start(total: number, value: number, payload?: object): void;
  update(value: number, payload?: object): void;
  setTotal(total: number): void;
  stop(): void;
}

/** The bar's line, in cli-progress's format: its tokens are TransferBar's payload. */
export function transferBarFormat(verb: "put" | "get"): string {
  return `${verb} {bar} {percentage}% | {moved}/{all} | hosts {hostsDone}/{hosts} | {rate} | ETA {etaText}`;
}

/** put/get on a TTY: one aggregate bar (bytes, hosts done, rate, ETA). */
export class TransferBar implements Reporter {
  readonly #bar: ProgressBarLike;
  /** Per host: bytes done (copied or found unchanged), and of how many (get learns it per host). */
  readonly #perHost = new Map<string, { done: number; total: number }>();
  #sum = 0;
  #hostsOk = 0;
  readonly #hosts: number;
  /** The total known from the start (put: the tree times the hosts, less the shares of hosts that failed), else 0. */
  #given: number;
  #total: number;
  readonly #started = performance.now();

  constructor(bar: ProgressBarLike, hosts: number, totalBytes: number) {
    this.#bar = bar;
    this.#hosts = hosts;
    this.#given = totalBytes;
    this.#total = Math.max(1, totalBytes);
    this.#bar.start(this.#total, 0, this.#payload());
  }

  #payload(): object {
    const secs = (performance.now() - this.#started) / 1000;
    const rate = secs > 0 ? this.#sum / secs : 0;
    // Our own estimate, under a name of our own: cli-progress fills its `eta` itself, in bare seconds.
    const etaText = rate > 0 && this.#sum > 0 ? formatDuration(((this.#total - this.#sum) / rate) * 1000) : "…";
    return { moved: bytes(this.#sum), all: bytes(this.#total), hostsDone: this.#hostsOk, hosts: this.#hosts, rate: `${bytes(rate)}/s`, etaText };
  }

  event(ev: FleetEvent): void {
    const before = this.#perHost.get(ev.host) ?? { done: 0, total: 0 };
    let now: { done: number; total: number };
    if (ev.type === "progress") now = { done: ev.bytes, total: ev.total };
    else if (ev.type === "done") {
      const ok = ev.result.state === "ok";
      if (ok) this.#hostsOk++;
      // A host that finished did all of its share. One that failed did what it did, and the rest
      // of its share leaves the total: the bar's 100% is what could be done.
      const share = before.total || (this.#given > 0 ? this.#given / this.#hosts : (ev.result.bytes ?? 0));
      now = { done: ok ? share : before.done, total: ok ? share : before.done };
      if (!ok && this.#given > 0) this.#given -= share - before.done;
    } else return;
    this.#perHost.set(ev.host, now);
    this.#sum += now.done - before.done;
    let listed = 0;
    for (const h of this.#perHost.values()) listed += h.total;
    const total = Math.max(1, this.#given, listed, this.#sum);
    if (total !== this.#total) {
      this.#total = total;
      this.#bar.setTotal(total);
    }
    this.#bar.update(this.#sum, this.#payload());
  }

  end(): void {
    this.#bar.update(this.#sum, this.#payload());
    this.#bar.stop();
  }
}

/** `ping`: one line per host with its connect time and round trip. */
export class PingLines implements Reporter {
  readonly #width: number;
  constructor(hostWidth: number) {
    this.#width = Math.min(hostWidth, 32);
  }
  event(ev: FleetEvent): void | Promise<void> {
    if (ev.type !== "done") return;
    const r = ev.result;
    if (r.state === "ok") return write(process.stdout, `${hostLabel(ev.host, this.#width)}ok  connect ${formatDuration(r.connectMs ?? 0)}  rtt ${(r.rttMs ?? 0).toFixed(2)}ms\n`);
    return write(process.stdout, `${hostLabel(ev.host, this.#width)}${r.state}  ${r.reason ?? ""}\n`);
  }
}

/** The host keys a run could not verify (or trusted on first use), as one table. */
export function formatHostKeyTable(notes: readonly HostKeyNote[], options: { color?: boolean } = {}): string {
  if (notes.length === 0) return "";
  const byKey = new Map<string, HostKeyNote>();
  for (const n of notes) byKey.set(`${n.host}\u0000${n.fingerprint}`, n);
  const rows = [...byKey.values()].sort((a, b) => (a.verdict === b.verdict ? (a.host < b.host ? -1 : 1) : a.verdict === "changed" ? -1 : 1));
  const w = Math.max(4, ...rows.map((r) => r.host.length));
  const t = Math.max(8, ...rows.map((r) => r.keyType.length));
  const lines: string[] = [];
  const changed = rows.filter((r) => r.verdict !== "unknown").length;
  const accepted = rows.filter((r) => r.accepted).length;
  const rejected = rows.length - accepted;
  if (accepted) lines.push(`Trusted ${accepted} new host key${accepted === 1 ? "" : "s"} (--accept-new) and saved them to known_hosts.`);
  if (rejected) {
    lines.push(`${rejected} host key${rejected === 1 ? "" : "s"} could not be verified; those hosts were not contacted further.`);
    if (changed) lines.push(options.color ? `\x1b[1;31mWARNING: ${changed} host key${changed === 1 ? " has" : "s have"} CHANGED: this can be an attack. Check before trusting.\x1b[0m` : `WARNING: ${changed} host key${changed === 1 ? " has" : "s have"} CHANGED: this can be an attack. Check before trusting.`);
    if (rows.some((r) => r.verdict === "unknown" && !r.accepted)) lines.push("Unknown keys: verify the fingerprints, then rerun with --accept-new (or add them to known_hosts).");
    // --accept-new never trusts a changed key: the way on is to remove the old one, once checked.
    if (rows.some((r) => r.verdict === "changed")) lines.push("Changed keys: if the change is expected (the host was reinstalled), remove the old key with ssh-keygen -R HOST (-f FILE for another known_hosts), then rerun.");
  }
  lines.push(`  ${"HOST".padEnd(w)}  ${"KEY TYPE".padEnd(t)}  ${"FINGERPRINT".padEnd(51)}  STATUS`);
  for (const r of rows) lines.push(`  ${r.host.padEnd(w)}  ${r.keyType.padEnd(t)}  ${r.fingerprint.padEnd(51)}  ${r.accepted ? "trusted (new)" : r.verdict}`);
  return lines.join("\n") + "\n";
}

/** The results, as the summary wants them (kept by the command while the reporters run). */
export class ResultCollector implements Reporter {
  readonly results: HostResult[] = [];
  event(ev: FleetEvent): void {
    if (ev.type === "done") this.results.push(ev.result);
  }
}

export { describeHosts };
