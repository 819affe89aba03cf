/**
 * `shoal run | put | get | ping | hosts | groups`: a thin layer over shoal/fleet.
 *
 * Exit status: 0 all ok; 1 a command exited non-zero somewhere; 2 a host could not be reached,
 * authenticated or finished in time; 64 a usage or inventory error.
 */
import { statSync } from "node:fs";
import type { Stats } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { isIPv6 } from "node:net";
import { Command } from "commander";
import { Inventory, defaultInventoryPaths } from "../fleet/inventory.js";
import { InventoryError, PatternError } from "../fleet/inventory-error.js";
import type { Host, HostVars } from "../fleet/host.js";
import { HostRangeError, checkHostNames, expandHostRange, foldHosts, splitTopLevel } from "../fleet/host-range.js";
import { parseDuration } from "../fleet/duration.js";
import type { Fleet, FleetOptions, FleetRun } from "../fleet/fleet.js";
import { EarlyConnections } from "../fleet/early-connections.js";
import type { EarlyConnectionsOptions } from "../fleet/early-connections.js";
import { summarize, exitStatusOf, formatSummary } from "../fleet/summary.js";
import { loadSavedSets, saveSets, savedHostsOf, setsOf } from "../fleet/last-sets.js";
import type { SavedHost } from "../fleet/last-sets.js";
import { DEFAULT_FORKS, planForks } from "../fleet/limits.js";
import { askSecret, once } from "./prompt.js";
import { capYoungGeneration } from "./memory.js";
import { exitStatusOfSignal, onStopSignals, stoppedBy } from "./stop-signals.js";
import { GatherReporter, JsonReporter, LineReporter, OutDirReporter, PingLines, prepareOutDir, ResultCollector, TransferBar, TransferLines, formatHostKeyTable, transferBarFormat } from "./reporters.js";
import type { Reporter } from "./reporters.js";
import { widest } from "./width.js";

/** A usage or inventory error: exit status 64. */
export class UsageError extends Error {
  override name = "UsageError";
}

export const EXIT_USAGE = 64;

/** The words after the first `--` of the command line (the remote command of `run`). */
let dashDashWords: string[] | undefined;

/** Splits argv at the first `--`: commander gets what is before, `run` takes what is after as its command. */
export function splitCommandWords(argv: readonly string[]): string[] {
  const i = argv.indexOf("--");
  if (i < 0) {
    dashDashWords = undefined;
    return [...argv];
  }
  dashDashWords = argv.slice(i + 1);
  return argv.slice(0, i);
}

interface CommonOptions {
  inventory?: string;
  host?: string[];
  hostsFile?: string;
  forks?: number;
  user?: string;
  port?: number;
  connectTimeout?: number;
  retries?: number;
  acceptNew?: boolean;
  askPass?: boolean;
  knownHosts?: string;
  strictHostKeys?: boolean;
  handshakes?: number;
  color?: boolean;
}

export function positiveInt(what: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`Invalid ${what}: expected a positive integer, got ${JSON.stringify(v)}`);
    return n;
  };
}

function portNumber(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`Invalid port: expected an integer from 1 to 65535, got ${JSON.stringify(v)}`);
  return n;
}

function duration(what: string) {
  return (v: string): number => {
    try {
      return parseDuration(v, what);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  };
}

/** A command timeout: 0 is none (Infinity here), as pssh's `-t 0` and the shell's `:timeout 0`. */
export function commandTimeout(v: string): number {
  const ms = duration("timeout")(v);
  return ms === 0 ? Infinity : ms;
}

/** A connect timeout: 0 would fail every host before it could answer. */
export function connectTimeout(v: string): number {
  const ms = duration("connect timeout")(v);
  if (ms === 0) throw new UsageError(`Invalid connect timeout: it must be more than 0, got ${JSON.stringify(v)}`);
  return ms;
}

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

/** The options every fleet command shares. */
function withCommon(cmd: Command, connects = true): Command {
  cmd
    .helpOption("--help", "show help for this command")
    .option("-i, --inventory <file>", "inventory file (default ./shoal.yml, then ~/.config/shoal/inventory.yml)")
    .option("-H, --host <hosts>", "ad hoc hosts, comma-separated, ranges allowed (repeatable)", collect)
    .option("-h, --hosts-file <file>", "ad hoc hosts, one per line (as pssh -h)");
  if (!connects) return cmd;
  return cmd
    .option("-f, --forks <n>", `hosts at a time (default ${DEFAULT_FORKS})`, positiveInt("forks"))
    .option("-u, --user <user>", "login user for hosts that name none")
    .option("-p, --port <port>", "port for hosts that name none", portNumber)
    .option("--connect-timeout <duration>", "per host: TCP, banner, key exchange and auth (500ms, 10s, 2m; bare number = seconds)", connectTimeout)
    .option("--retries <n>", "retry failed connects (never commands) with backoff", (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`Invalid retries: expected an integer >= 0, got ${JSON.stringify(v)}`);
      return n;
    })
    .option("--accept-new", "trust unknown host keys on first use and save them (never changed keys)")
    .option("--no-strict-host-keys", "do not check host keys at all (throwaway test hosts only)")
    .option("--known-hosts <file>", "known_hosts file (default ~/.ssh/known_hosts, or the host's known_hosts var)")
    .option("-A, --ask-pass", "ask for a password once, before connecting, for every host that needs one")
    .option("--handshakes <n>", "SSH handshakes in flight per server, fixed (default: 8, growing while the server drops none)", positiveInt("handshakes"))
    .option("--no-color", "no colours, even on a terminal");
}

interface Selection {
  hosts: Host[];
  inventory: Inventory;
  /** How the run reaches the hosts that the inventory file lacks or that -H changes: saved with the sets. */
  reached: Map<string, SavedHost>;
}

/** Loads the inventory and selects hosts; everything here is a usage error (64) when it fails. */
async function select(pattern: string | undefined, o: CommonOptions): Promise<Selection> {
  let inventory: Inventory;
  try {
    inventory = o.inventory ? await Inventory.load(o.inventory) : await Inventory.loadDefault();
  } catch (err) {
    if (err instanceof InventoryError) throw new UsageError(err.message);
    throw err;
  }
  const fromFile = inventory;
  // Ad hoc hosts as pssh takes them: `[user@]host[:port]`, and in a hosts file `host [user]`.
  const adHocNames: string[] = [];
  const overrides = new Map<string, HostVars>();
  const given = new Map<string, string>();
  const addAdHoc = (entry: string, user?: string) => {
    const host = parseAdHoc(entry);
    const names = expandHostRange(host.name);
    appendAll(adHocNames, names);
    const vars: HostVars = {};
    if (host.user ?? user) vars.user = host.user ?? user;
    if (host.port !== undefined) vars.port = host.port;
    for (const n of names) {
      // A host is known by its name: the same name twice with another user or port would be one
      // host, the last one given (127.0.0.1:2200,127.0.0.1:2222 ran on 2222 alone).
      const before = given.get(n);
      const now = `${vars.user ?? ""}@${vars.port ?? ""}`;
      if (before !== undefined && before !== now) throw new UsageError(`Host ${n} is given twice, with another user or port: a host is known by its name (give each its own name in an inventory, with hostname: and port:)`);
      given.set(n, now);
      if (Object.keys(vars).length > 0) overrides.set(n, vars);
    }
  };
  try {
    for (const h of o.host ?? []) for (const e of splitTopLevel(h)) addAdHoc(e);
  } catch (err) {
    if (err instanceof HostRangeError) throw new UsageError(err.message);
    throw err;
  }
  if (o.hostsFile) {
    let text: string;
    try {
      text = await readFile(o.hostsFile, "utf8");
    } catch (err) {
      throw new UsageError(`Cannot read hosts file: ${(err as Error).message}`);
    }
    text.split("\n").forEach((line, i) => {
      const [entry, user] = line.replace(/#.*/, "").trim().split(/\s+/);
      try {
        if (entry) addAdHoc(entry, user);
      } catch (err) {
        if (err instanceof HostRangeError || err instanceof UsageError) throw new UsageError(`${o.hostsFile}:${i + 1}: ${err.message}`);
        throw err;
      }
    });
  }
  const withOverrides = (hosts: Host[]): Host[] => hosts.map((h) => (overrides.has(h.name) ? { ...h, vars: { ...h.vars, ...overrides.get(h.name) } } : h));
  const selected = (hosts: Host[]): Selection => {
    const chosen = withOverrides(hosts);
    return { hosts: chosen, inventory, reached: savedHostsOf(chosen, fromFile) };
  };
  try {
    if (adHocNames.length > 0) inventory = inventory.withHosts(adHocNames);
    if (pattern === undefined) {
      if (adHocNames.length === 0) throw new UsageError("Missing host pattern: give a PATTERN (@group, names, globs, ranges), or -H hosts / -h file");
      const names = new Set(adHocNames);
      return selected(inventory.hosts.filter((h) => names.has(h.name)));
    }
    const { sets, hosts: savedHosts } = await loadSavedSets();
    const hosts = inventory.select(pattern, { sets, savedHosts, adHoc: inventory.path === null || adHocNames.length > 0, unknownHint: "use -H for ad hoc hosts" });
    if (hosts.length === 0) throw new UsageError(`No hosts match ${JSON.stringify(pattern)}${fromFile.path === null && adHocNames.length === 0 ? noInventory() : ""}`);
    return selected(hosts);
  } catch (err) {
    // Without an inventory, a group or a saved name cannot be found: say where one was looked for.
    if (err instanceof PatternError) throw new UsageError(err.message + (fromFile.path === null && /no inventory was loaded/.test(err.message) ? ` (none at ${defaultInventoryPaths().join(" or ")}; give -i FILE)` : ""));
    if (err instanceof HostRangeError) throw new UsageError(err.message);
    throw err;
  }
}

/** Why nothing could be selected without an inventory, and the ways around it. */
function noInventory(): string {
  return ` (no inventory: none at ${defaultInventoryPaths().join(" or ")}; give -i FILE, or hosts with -H a,b or -h FILE)`;
}

/**
 * An ad hoc host as pssh takes it: `[user@]host[:port]`. An IPv6 address is written bare (`::1`),
 * or in brackets to give a port (`[::1]:2222`).
 */
function parseAdHoc(entry: string): { name: string; user?: string | undefined; port?: number | undefined } {
  const at = entry.lastIndexOf("@");
  const user = at < 0 ? undefined : entry.slice(0, at);
  if (user === "") throw new UsageError(`Invalid host ${JSON.stringify(entry)}: no user before "@"`);
  const rest = entry.slice(at + 1);
  let name = rest;
  let port: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(rest);
  if (bracketed && isIPv6(bracketed[1]!)) [name, port] = [bracketed[1]!, bracketed[2]];
  else if (!isIPv6(rest) && rest.includes(":")) [name, port] = [rest.slice(0, rest.lastIndexOf(":")), rest.slice(rest.lastIndexOf(":") + 1)];
  if (name === "") throw new UsageError(`Invalid host ${JSON.stringify(entry)}: no host name${at >= 0 ? ` after "@"` : ""}`);
  checkHostNames(name);
  try {
    return { name, user, port: port === undefined ? undefined : portNumber(port) };
  } catch (err) {
    throw new UsageError(`${(err as Error).message}, in host ${JSON.stringify(entry)}`);
  }
}

/** `target.push(...items)` without spreading, which overflows the stack on large ranges. */
function appendAll<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item);
}

function withDefaults(hosts: Host[], o: CommonOptions): Host[] {
  if (o.port === undefined) return hosts;
  return hosts.map((h) => (h.vars.port === undefined ? { ...h, vars: { ...h.vars, port: o.port } } : h));
}

/**
 * The fleet (and ssh2 with it, ~50 ms to load) is imported only by the commands that connect:
 * `hosts` and `groups` answer without it. With the run's `session`, the first hosts' connections are
 * opened before it loads, for the run to take (see fleet/early-connections.ts).
 */
async function newFleet(hosts: Host[], options: FleetOptions, session?: EarlyConnectionsOptions["session"]): Promise<{ fleet: Fleet; early: EarlyConnections | undefined }> {
  let early: EarlyConnections | undefined;
  // Until the run handles them, Ctrl-C and the like stop the early lookups (a `Match exec` runs in
  // its own process group, out of the terminal's reach) and end the command.
  const onSignal = (signal: NodeJS.Signals) => {
    early?.close();
    process.stderr.write(`\nshoal: ${stoppedBy(signal)} before the run started\n`);
    process.exit(exitStatusOfSignal(signal));
  };
  let stopListening: (() => void) | undefined;
  try {
    if (session) {
      stopListening = onStopSignals(onSignal);
      early = EarlyConnections.open(hosts, { ...options, session });
      // The lookups take a few milliseconds; a slow `Match exec` is left to its own host.
      await Promise.race([early.ready, new Promise((resolve) => setTimeout(resolve, EARLY_LOOKUP_WAIT_MS).unref())]);
    }
    const { Fleet } = await import("../fleet/fleet.js");
    capYoungGeneration();
    return { fleet: new Fleet(hosts, options), early };
  } catch (error) {
    early?.close();
    // A mistake in ~/.ssh/config, which names its file and line: nothing has connected yet. (By
    // name: importing shoal/ssh's errors here would load one more module before the first connect.)
    if ((error as Error).name === "ConfigParseError") throw new UsageError((error as Error).message);
    throw error;
  } finally {
    stopListening?.();
  }
}

/** How long a run waits for its early hosts' lookups before it loads the fleet anyway. */
const EARLY_LOOKUP_WAIT_MS = 50;

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** The --ask-pass prompt answered with Ctrl-C ends shoal as Ctrl-C does (130); no terminal to ask on is a usage error. */
function askPassFailed(error: Error): never {
  if (error.message === "interrupted") process.exit(exitStatusOfSignal("SIGINT"));
  throw new UsageError(`--ask-pass: ${error.message}`);
}

async function fleetOptions(o: CommonOptions, forks: number): Promise<FleetOptions> {
  // A mistyped --known-hosts would make every host unknown (as paramiko's load_host_keys, a file
  // named must exist); with --accept-new it may be new: the keys trusted start it.
  if (o.knownHosts !== undefined && o.strictHostKeys !== false) {
    const st = statOrUndefined(o.knownHosts);
    if (st === undefined && !o.acceptNew) throw new UsageError(`Cannot read --known-hosts ${o.knownHosts}: no such file (create it, or add --accept-new to start it with the keys trusted on first use)`);
    if (st !== undefined && !st.isFile()) throw new UsageError(`Cannot read --known-hosts ${o.knownHosts}: it is not a file`);
  }
  if (o.user === "") throw new UsageError("Invalid --user: it is empty");
  const ask = once(askSecret);
  return {
    forks,
    user: o.user,
    connectTimeout: o.connectTimeout,
    retries: o.retries,
    acceptNew: o.acceptNew,
    knownHosts: o.strictHostKeys === false ? false : o.knownHosts,
    handshakesPerServer: o.handshakes,
    // Asked before the run, as pssh's -A does: typed while hosts connect, it ran out their connect timeout.
    password: o.askPass ? await ask("Password: ").catch(askPassFailed) : undefined,
    passphrase: process.stdin.isTTY ? ask : undefined,
  };
}

interface RunContext {
  color: boolean;
  tty: boolean;
  hostWidth: number;
}

function context(o: CommonOptions, hosts: Host[]): RunContext {
  const tty = Boolean(process.stdout.isTTY);
  const color = tty && o.color !== false && !process.env["NO_COLOR"];
  return { tty, color, hostWidth: widest(hosts) };
}

/**
 * Drives a run through its reporters; Ctrl-C stops the remote commands and still prints the partial
 * summary (a second Ctrl-C exits at once).
 */
async function drive(run: FleetRun, reporters: Reporter[], o: { json?: JsonReporter | undefined; color: boolean; startedAt: number; reached: Map<string, SavedHost> }): Promise<number> {
  let interrupted = 0;
  // One of STOP_SIGNALS: the remote commands are stopped, the partial summary printed; a second
  // one quits at once.
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted++;
    if (interrupted === 1) {
      process.stderr.write(`\nshoal: ${stoppedBy(signal)}: stopping the remote commands (${signal === "SIGINT" ? "Ctrl-C" : "the signal"} again to quit at once)\n`);
      run.cancel(new Error("interrupted"));
    } else process.exit(exitStatusOfSignal(signal));
  };
  const stopListening = onStopSignals(onSignal);
  // `| head` took what it wanted: the remote commands are stopped as for Ctrl-C (without a pty they
  // would run on), and the run ends with 141, as a command killed by SIGPIPE.
  let pipeBroken = false;
  const exitOnBrokenPipe = outcome.brokenPipe;
  outcome.brokenPipe = () => {
    if (pipeBroken) return;
    pipeBroken = outcome.pipeBroken = true;
    run.cancel(new Error("output closed"));
  };
  const collector = new ResultCollector();
  try {
    for await (const ev of run) {
      collector.event(ev);
      for (const r of reporters) {
        const p = r.event(ev);
        if (p) await p;
      }
    }
    for (const r of reporters) await r.end?.();
  } finally {
    stopListening();
    outcome.brokenPipe = exitOnBrokenPipe;
  }
  const results = collector.results;
  const summary = summarize(results, performance.now() - o.startedAt);
  const status = exitStatusOf(results);
  const sets = setsOf(results);
  const saved = await saveSets(sets, undefined, o.reached).then(
    () => true,
    (err: Error) => (process.stderr.write(`shoal: cannot save host sets: ${err.message}\n`), false),
  );
  const table = formatHostKeyTable(run.hostKeys, { color: o.color });
  if (o.json) {
    if (run.hostKeys.length) await o.json.line({ type: "hostkeys", keys: run.hostKeys.map(({ publicKey: _p, ...k }) => k) });
    await o.json.line({ type: "summary", total: summary.total, counts: summary.counts, problems: summary.problems.map((p) => ({ ...p, range: foldHosts(p.hosts).join(",") })), elapsedMs: Math.round(summary.elapsedMs ?? 0), exitStatus: status });
  }
  if (table) process.stderr.write("\n" + table);
  process.stderr.write((table ? "" : "\n") + formatSummary(summary, { color: o.color, savedSets: saved ? [...sets].filter(([k, v]) => v.length > 0 && k !== "last.all").map(([k]) => k) : [] }));
  return pipeBroken ? 141 : status;
}

/** Reads the local stdin to the end, once, for `--stdin`. */
async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Fits forks under the open-file limit, saying so when it has to. */
export function fitForks(requested: number, fdsPerHost: number): number {
  const plan = planForks(requested, fdsPerHost);
  if (plan.warning) process.stderr.write(plan.warning + "\n");
  return plan.forks;
}

/** Exit status to use (set by the actions). */
export const outcome = {
  status: 0,
  /** A run has seen its output's reader go: it stops its commands, and the command then exits 141. */
  pipeBroken: false,
  /**
   * The reader of shoal's output went away (`shoal run ... | head`). Outside a run, exit at once
   * (141, as a command killed by SIGPIPE); a run replaces it to stop its remote commands first, and
   * after such a run the writes still failing (a reporter's last line) must not cut the closing of
   * its connections short.
   */
  brokenPipe: (): void => {
    if (!outcome.pipeBroken) process.exit(outcome.status !== 0 ? outcome.status : 141);
  },
};

export function registerFleetCommands(program: Command): void {
  const run = withCommon(new Command("run"))
    .description("run a command on every host of PATTERN, live")
    .argument("[pattern]", "hosts: @group, names, globs, ranges web[01-05], lists a,b, !exclude, &intersect, @last.failed")
    .addHelpText("after", "\nThe command follows `--`:  shoal run @web -- uptime\nExit status: 0 all ok, 1 a command failed, 2 a host unreachable/auth/timeout, 64 usage error.")
    .option("-t, --timeout <duration>", "per host, from the command's start (500ms, 10s, 2m; bare number = seconds; 0: none)", commandTimeout)
    .option("-b, --gather", "gather identical outputs under compact host ranges")
    .option("--json", "NDJSON events on stdout")
    .option("-o, --out-dir <dir>", "write each host's stdout and stderr to DIR/HOST.stdout and DIR/HOST.stderr")
    .option("--stdin", "send the local stdin to every host")
    .option("--pty", "ask for a pseudo-terminal")
    .option("--forward-agent", "forward the ssh-agent to the command (as ssh -A; -A is --ask-pass, as in pssh): only to hosts you trust")
    .action(async (pattern: string | undefined, o: CommonOptions & { timeout?: number; gather?: boolean; json?: boolean; outDir?: string; stdin?: boolean; pty?: boolean; forwardAgent?: boolean }) => {
      const words = dashDashWords ?? [];
      if (words.length === 0) throw new UsageError("Missing command: give it after `--`, e.g. shoal run @web -- uptime");
      if (o.forwardAgent && !process.env["SSH_AUTH_SOCK"]) throw new UsageError("--forward-agent needs an ssh-agent: SSH_AUTH_SOCK is not set (start one: eval $(ssh-agent); ssh-add)");
      const command = words.join(" ");
      if (command.trim() === "") throw new UsageError("Missing command: the one given after `--` is empty");
      // Each would drop what the other asks for: the events, or their gathering.
      if (o.json && o.gather) throw new UsageError("--json and -b/--gather do not go together: --json writes every host's output as events (group them with jq), -b prints it gathered");
      const startedAt = performance.now();
      const { hosts, inventory, reached } = await select(pattern, o);
      if (o.outDir) {
        await prepareOutDir(o.outDir).catch((error: Error) => {
          throw new UsageError(`Cannot write to --out-dir ${o.outDir}: ${error.message}`);
        });
      }
      const ctx = context(o, hosts);
      const fds = 1 + (o.outDir ? 2 : 0) + (o.gather ? 1 : 0);
      const forks = fitForks(o.forks ?? inventory.defaults.forks ?? DEFAULT_FORKS, fds);
      const input = o.stdin ? await readStdin() : undefined;
      const { fleet, early } = await newFleet(withDefaults(hosts, o), await fleetOptions(o, forks), { type: "exec", command });
      try {
        const reporters: Reporter[] = [];
        let json: JsonReporter | undefined;
        if (o.json) reporters.push((json = new JsonReporter()));
        else if (o.gather) {
          const gather = new GatherReporter({ tty: ctx.tty, color: ctx.color, total: hosts.length });
          reporters.push(gather);
          reporters.push(new LineReporter({ color: ctx.color, hostWidth: ctx.hostWidth, showStdout: false, showErrors: true, beforeWrite: () => gather.clearStatus() }));
        } else reporters.push(new LineReporter({ color: ctx.color, hostWidth: ctx.hostWidth }));
        if (o.outDir) reporters.push(new OutDirReporter(o.outDir));
        const r = fleet.run(command, { timeout: o.timeout === Infinity ? undefined : o.timeout, pty: o.pty, input, collect: false, forwardAgent: o.forwardAgent, earlyConnections: early });
        outcome.status = await drive(r, reporters, { json, color: ctx.color, startedAt, reached });
      } finally {
        early?.close();
        await fleet.close();
      }
    });
  program.addCommand(run);

  const put = withCommon(new Command("put"))
    .description("copy a local file (or tree, -r) to REMOTE on every host, atomically")
    .argument("<args...>", "[PATTERN] LOCAL REMOTE")
    .option("-r, --recursive", "copy folders")
    .option("--checksum", "skip files whose SHA-256 matches (default: size and mtime)")
    .option("-t, --timeout <duration>", "per host, for the whole copy (500ms, 10s, 2m; bare number = seconds; 0: none)", commandTimeout)
    .option("--json", "NDJSON events on stdout")
    .action(async (args: string[], o: CommonOptions & { recursive?: boolean; checksum?: boolean; timeout?: number; json?: boolean }) => {
      const all = [...args, ...(dashDashWords ?? [])];
      const [pattern, local, remote] = all.length === 3 ? all : all.length === 2 && (o.host?.length || o.hostsFile) ? [undefined, ...all] : usage("put takes [PATTERN] LOCAL REMOTE");
      nonEmpty({ LOCAL: local, REMOTE: remote });
      await transfer("put", pattern, local!, remote!, o);
    });
  program.addCommand(put);

  const get = withCommon(new Command("get"))
    .description("fetch REMOTE from every host into LOCALDIR/HOST/")
    .argument("<args...>", "[PATTERN] REMOTE LOCALDIR")
    .option("-r, --recursive", "fetch folders")
    .option("-t, --timeout <duration>", "per host, for the whole copy (500ms, 10s, 2m; bare number = seconds; 0: none)", commandTimeout)
    .option("--json", "NDJSON events on stdout")
    .action(async (args: string[], o: CommonOptions & { recursive?: boolean; timeout?: number; json?: boolean }) => {
      const all = [...args, ...(dashDashWords ?? [])];
      const [pattern, remote, localDir] = all.length === 3 ? all : all.length === 2 && (o.host?.length || o.hostsFile) ? [undefined, ...all] : usage("get takes [PATTERN] REMOTE LOCALDIR");
      nonEmpty({ REMOTE: remote, LOCALDIR: localDir });
      await transfer("get", pattern, remote!, localDir!, o);
    });
  program.addCommand(get);

  const ping = withCommon(new Command("ping"))
    .description("connect and authenticate to every host, and time one round trip")
    .argument("[pattern]", "hosts")
    .option("--json", "NDJSON events on stdout")
    .action(async (pattern: string | undefined, o: CommonOptions & { json?: boolean }) => {
      const startedAt = performance.now();
      const { hosts, inventory, reached } = await select(pattern, o);
      const ctx = context(o, hosts);
      // No early connections: a host's connect time is what ping measures.
      const { fleet } = await newFleet(withDefaults(hosts, o), await fleetOptions(o, fitForks(o.forks ?? inventory.defaults.forks ?? DEFAULT_FORKS, 1)));
      try {
        const json = o.json ? new JsonReporter() : undefined;
        outcome.status = await drive(fleet.ping(), [json ?? new PingLines(ctx.hostWidth)], { json, color: ctx.color, startedAt, reached });
      } finally {
        await fleet.close();
      }
    });
  program.addCommand(ping);

  const hostsCmd = withCommon(new Command("hosts"), false)
    .description("list the hosts a pattern selects (no connection)")
    .argument("[pattern]", "hosts (default: all)")
    .option("--fold", "print compact ranges instead of one name per line")
    .option("--json", "print a JSON array of { name, groups, vars }")
    .action(async (pattern: string | undefined, o: CommonOptions & { fold?: boolean; json?: boolean }) => {
      const { hosts } = await select(pattern ?? (o.host?.length || o.hostsFile ? undefined : "all"), o);
      if (o.json) process.stdout.write(JSON.stringify(hosts.map((h) => ({ name: h.name, groups: h.groups, vars: redact(h.vars) }))) + "\n");
      else if (o.fold) process.stdout.write(`${foldHosts(hosts.map((h) => h.name)).join(",")} (${hosts.length})\n`);
      else process.stdout.write(hosts.map((h) => h.name).join("\n") + (hosts.length ? "\n" : ""));
    });
  program.addCommand(hostsCmd);

  const groups = withCommon(new Command("groups"), false)
    .description("list the inventory's groups with their hosts")
    .action(async (o: CommonOptions) => {
      let inv: Inventory;
      try {
        inv = o.inventory ? await Inventory.load(o.inventory) : await Inventory.loadDefault();
      } catch (err) {
        if (err instanceof InventoryError) throw new UsageError(err.message);
        throw err;
      }
      if (inv.path === null) throw new UsageError(`No inventory, so no groups: none at ${defaultInventoryPaths().join(" or ")}; give -i FILE`);
      if (inv.groups.length === 0) process.stderr.write(`shoal: ${inv.path} has no groups\n`);
      const w = widest(inv.groups, 5);
      for (const g of inv.groups) {
        const members = inv.members(g.name)!.map((h) => h.name);
        const kids = g.children.length ? `  (children: ${g.children.join(", ")})` : "";
        process.stdout.write(`@${g.name.padEnd(w)}  ${String(members.length).padStart(5)}  ${foldHosts(members).join(",")}${kids}\n`);
      }
    });
  program.addCommand(groups);
}

/** An empty LOCAL, REMOTE or LOCALDIR is a mistake (an unset variable), not "here". */
function nonEmpty(args: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(args)) if (value === "") usage(`${name} is empty`);
}

function usage(message: string): never {
  throw new UsageError(`Invalid arguments: ${message}`);
}

async function transfer(verb: "put" | "get", pattern: string | undefined, from: string, to: string, o: CommonOptions & { recursive?: boolean; checksum?: boolean; timeout?: number; json?: boolean }): Promise<void> {
  const startedAt = performance.now();
  const { hosts, inventory, reached } = await select(pattern, o);
  if (verb === "get") {
    const existing = await stat(to).catch(() => undefined);
    if (existing !== undefined && !existing.isDirectory()) throw new UsageError(`Cannot get into ${to}: it is not a folder (files land in ${to}/HOST/…)`);
  }
  const ctx = context(o, hosts);
  const forks = fitForks(o.forks ?? inventory.defaults.forks ?? DEFAULT_FORKS, 2);
  // No early connections: a local tree can take long to scan, and they would wait on it.
  const { fleet } = await newFleet(withDefaults(hosts, o), await fleetOptions(o, forks));
  try {
    const timeout = o.timeout === Infinity ? undefined : o.timeout;
    let totalBytes = 0;
    if (verb === "put") {
      const { scanLocal } = await import("../fleet/transfer.js");
      try {
        const tree = await scanLocal(from, { recursive: o.recursive });
        totalBytes = tree.totalBytes * hosts.length;
      } catch (err) {
        const message = (err as Error).message;
        throw new UsageError(message.startsWith("Cannot put") ? message : `Cannot put ${from}: ${message}`);
      }
    }
    const run = verb === "put" ? fleet.put(from, to, { recursive: o.recursive, checksum: o.checksum, timeout }) : fleet.get(from, to, { recursive: o.recursive, timeout });
    const json = o.json ? new JsonReporter() : undefined;
    let reporter: Reporter;
    if (json) reporter = json;
    else if (process.stderr.isTTY) {
      const { default: cliProgress } = await import("cli-progress");
      const bar = new cliProgress.SingleBar(
        { format: transferBarFormat(verb), hideCursor: true, stream: process.stderr, etaBuffer: 50 },
        cliProgress.Presets.shades_classic,
      );
      reporter = new TransferBar(bar, hosts.length, verb === "put" ? totalBytes : 0);
    } else reporter = new TransferLines(verb, ctx.hostWidth);
    outcome.status = await drive(run, [reporter], { json, color: ctx.color, startedAt, reached });
  } finally {
    await fleet.close();
  }
}

function redact(vars: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(vars)) out[k] = /pass(word)?$/i.test(k) ? "***" : v;
  return out;
}

