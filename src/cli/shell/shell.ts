/**
 * `shoal shell`: the lesson's host-management shell. `use GROUP` selects hosts; every other line
 * runs on them (live, or gathered with `:gather`), with a status line per host and a summary.
 * Connections stay open between commands, so the second command costs a channel, not a handshake.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface, type Interface } from "node:readline";
import { Fleet } from "../../fleet/fleet.js";
import type { FleetOptions, FleetRun } from "../../fleet/fleet.js";
import type { HostResult } from "../../fleet/events.js";
import type { Host } from "../../fleet/host.js";
import { describeHosts, foldHosts } from "../../fleet/host-range.js";
import { formatDuration } from "../../fleet/duration.js";
import { defaultInventoryPaths, type Inventory } from "../../fleet/inventory.js";
import { loadSavedSets, saveSets, savedHostsOf, setsOf } from "../../fleet/last-sets.js";
import { exitStatusOf } from "../../fleet/summary.js";
import { RESERVED_FDS, openFileLimit } from "../../fleet/limits.js";
import { scanLocal } from "../../fleet/transfer.js";
import { SHELL_COMMANDS, completer } from "./completion.js";
import { drive } from "./drive.js";
import { HISTORY_SIZE, loadHistory, saveHistoryLine } from "./history.js";
import { EXIT_USAGE, commandTimeout, outcome } from "../fleet-commands.js";
import { STOP_SIGNALS, exitStatusOfSignal, stoppedBy } from "../stop-signals.js";
import { widest } from "../width.js";

/** What a shell needs. */
export interface ShellOptions {
  inventory: Inventory;
  /** How the fleet connects (forks, timeouts, credentials, known_hosts); `keepConnections` is always on. */
  fleetOptions: FleetOptions;
  /** A pattern selected at start. */
  initialPattern?: string | undefined;
  /** Per-host command timeout, in ms (`:timeout` changes it). */
  timeout?: number | undefined;
  color: boolean;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** The history file; `false` keeps no history. */
  historyFile?: string | false;
}

const HELP = `Every line runs on the selected hosts. Shell commands:
  use PATTERN        select hosts: @group, names, globs, web[01-05], lists a,b, !exclude, &intersect
  :hosts             list the selected hosts          :groups     list the groups with host counts
  :failed            select the hosts that failed last time
  :gather            toggle gathered output (identical outputs shown once)
  :put LOCAL REMOTE  copy a file to the selected hosts  :get REMOTE DIR  fetch into DIR/HOST/
  :timeout DURATION  per-host command timeout (10s, 2m; 0 = none)
  !COMMAND           run COMMAND here, locally
  Ctrl-C cancels the running command (and drops lines typed ahead); Ctrl-D (or :quit, or exit) leaves.
`;

export class Shell {
  readonly #inventory: Inventory;
  readonly #fleetOptions: FleetOptions;
  readonly #color: boolean;
  readonly #input: NodeJS.ReadableStream;
  readonly #output: NodeJS.WritableStream;
  readonly #historyFile: string | false | undefined;
  /** One fleet over the whole inventory: every selection runs on it and shares its open connections. */
  #fleetOnce: Fleet | undefined;
  readonly #pending: string[] = [];
  #rl: Interface | undefined;
  #selection: Host[] = [];
  #label = "";
  #gather = false;
  #timeout: number | undefined;
  #lastResults: HostResult[] | undefined;
  #running: FleetRun | undefined;
  #busy = false;
  #closed = false;
  #initialPattern: string | undefined;
  /** What `shoal run` would have exited with after the last run. */
  #lastStatus = 0;
  /** A line was refused (an unknown group, a misspelt shell command): a script of lines was wrong. */
  #refused = false;
  /** Set once a stop signal (or the output going away) ends the shell: its exit status. */
  #stopStatus: number | undefined;
  /** The `!cmd` running here, which has the terminal meanwhile. */
  #localChild: ChildProcess | undefined;

  constructor(options: ShellOptions) {
    this.#inventory = options.inventory;
    // Connections stay open for every host used, up to what the open-file limit allows.
    const keep = Math.max(64, (openFileLimit() ?? 1024) - 2 * RESERVED_FDS);
    this.#fleetOptions = { ...options.fleetOptions, keepConnections: keep };
    this.#color = options.color;
    this.#input = options.input ?? process.stdin;
    this.#output = options.output ?? process.stdout;
    this.#historyFile = options.historyFile;
    this.#timeout = options.timeout;
    this.#initialPattern = options.initialPattern;
  }

  /**
   * Runs the shell until the user leaves (Ctrl-D or `:quit`) or a stop signal ends it, and resolves
   * with its exit status: 0 at a terminal; with lines from a pipe or a file, 64 if one was refused,
   * else what `shoal run` would have given for the last run; 128 + the signal's number after one.
   */
  async run(): Promise<number> {
    const history = this.#historyFile === false ? [] : await loadHistory(this.#historyFile);
    this.#print(`shoal shell: ${this.#inventory.hosts.length} hosts. Type :help for help.\n`);
    this.#printGroups();
    const rl = createInterface({
      input: this.#input,
      output: this.#output,
      terminal: (this.#output as NodeJS.WriteStream).isTTY === true,
      completer: completer({ groups: () => this.#inventory.groups.map((g) => g.name), hosts: () => this.#inventory.hosts.map((h) => h.name) }),
      history: [...history].reverse(),
      historySize: HISTORY_SIZE,
      removeHistoryDuplicates: true,
    });
    this.#rl = rl;
    const left = new Promise<void>((resolve) => rl.once("close", () => resolve()));
    const interactive = (this.#input as NodeJS.ReadStream).isTTY === true;
    // Ctrl-C typed at the prompt is a key (the terminal is raw); one that comes as a signal cancels
    // as well when the lines are typed, and stops the shell when they come from a pipe or a file.
    // SIGTERM and a hang-up stop it: left to Node, they would end shoal and leave the remote
    // commands running (without a pty nothing stops them) and spilled output behind.
    rl.on("SIGINT", () => this.#interrupt());
    const onSignal = (signal: NodeJS.Signals) => {
      if (signal === "SIGINT" && interactive && this.#stopStatus === undefined) this.#interrupt();
      else this.#stop(stoppedBy(signal), exitStatusOfSignal(signal), signal);
    };
    for (const s of STOP_SIGNALS) process.on(s, onSignal);
    // The terminal gone (closed before its hang-up arrives, restoring it fails with EIO): as a hang-up.
    // Later, not from inside readline's own closing.
    rl.on("error", () => setImmediate(() => this.#stop(stoppedBy("SIGHUP"), exitStatusOfSignal("SIGHUP"))));
    // The reader of the output went away (`shoal shell < script | head`): as for `shoal run`.
    const exitOnBrokenPipe = outcome.brokenPipe;
    outcome.brokenPipe = () => this.#stop("output closed", 141);
    try {
      rl.on("line", (line) => {
        this.#pending.push(line);
        void this.#drain();
      });
      if (this.#initialPattern !== undefined) this.#pending.push(`use ${this.#initialPattern}`);
      this.#setPrompt();
      if (this.#pending.length > 0) void this.#drain();
      else rl.prompt();
      await left;
      if (this.#stopStatus === undefined && interactive) {
        // Ctrl-D while a command runs: leave now, stopping it.
        this.#closed = true;
        this.#running?.cancel(new Error("shell closed"));
      } else if (this.#stopStatus === undefined) {
        // Lines piped in (`shoal shell < script`): the end of input waits for the lines before it.
        while (this.#busy || this.#pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 10));
        this.#closed = true;
      }
      // Let the line being handled finish (its run ends at once once cancelled).
      while (this.#busy) await new Promise((resolve) => setTimeout(resolve, 10));
      await this.#fleetOnce?.close();
      if (this.#stopStatus !== undefined) return this.#stopStatus;
      this.#print("\n");
      return interactive ? 0 : this.#refused ? EXIT_USAGE : this.#lastStatus;
    } finally {
      for (const s of STOP_SIGNALS) process.removeListener(s, onSignal);
      // Once stopped, writes failing still (a terminal gone) must not cut the exit status short.
      outcome.brokenPipe = this.#stopStatus === undefined ? exitOnBrokenPipe : () => {};
    }
  }

  /**
   * Ends the shell for a stop signal, or for its output gone: the running command is stopped on
   * every host, no other line runs, and run() closes the fleet (and its spilled output) and
   * resolves with `status`. A second signal quits at once.
   */
  #stop(why: string, status: number, signal?: NodeJS.Signals): void {
    if (this.#stopStatus !== undefined) {
      // A closing terminal sends its hang-up more than once (to the shell, then to the foreground job).
      if (signal !== undefined && signal !== "SIGHUP") process.exit(status);
      return;
    }
    this.#stopStatus = status;
    this.#closed = true;
    this.#pending.length = 0;
    if (this.#running !== undefined) {
      if (signal !== undefined) this.#print(`\nshoal: ${why}: stopping the remote commands (${signal === "SIGINT" ? "Ctrl-C" : "the signal"} again to quit at once)\n`);
      this.#running.cancel(new Error(why));
    }
    this.#localChild?.kill(signal ?? "SIGTERM");
    this.#rl?.close();
  }

  #print(text: string): void {
    this.#output.write(text);
  }

  #paint(code: string, text: string): string {
    return this.#color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  #setPrompt(): void {
    const what = this.#selection.length === 0 ? "no hosts" : `${this.#label} (${this.#selection.length})`;
    this.#rl?.setPrompt(`${this.#paint("1;36", "shoal")} ${this.#paint("33", what)}${this.#gather ? " [gather]" : ""}> `);
  }

  #interrupt(): void {
    // `!cmd` has the terminal: the Ctrl-C is its own.
    if (this.#localChild !== undefined) return;
    // Lines typed while the command ran were meant to follow it, not to run after its cancelling.
    const dropped = this.#pending.splice(0).length;
    const note = dropped === 0 ? "" : ` (${dropped} line${dropped === 1 ? "" : "s"} typed ahead dropped)`;
    if (this.#running !== undefined) {
      this.#print(this.#paint("33", `^C cancelling: stopping the remote commands${note}\n`));
      this.#running.cancel(new Error("interrupted"));
      return;
    }
    // At the prompt, as in bash: drop the line being typed and start over.
    this.#print(`^C${note}\n`);
    (this.#rl as unknown as { line: string; cursor: number }).line = "";
    (this.#rl as unknown as { cursor: number }).cursor = 0;
    this.#rl?.prompt();
  }

  async #drain(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      while (this.#pending.length > 0 && !this.#closed) {
        const line = this.#pending.shift()!;
        try {
          await this.#handle(line.trim());
        } catch (error) {
          this.#refused = true;
          this.#print(this.#paint("31", `${(error as Error).message}\n`));
        }
      }
    } finally {
      this.#busy = false;
    }
    if (!this.#closed) {
      this.#setPrompt();
      this.#rl?.prompt();
    }
  }

  async #handle(line: string): Promise<void> {
    if (line === "") return;
    if (this.#historyFile !== false) await saveHistoryLine(line, this.#historyFile);
    if (line.startsWith("!")) return this.#local(line.slice(1).trim());
    const [word, ...rest] = line.split(/\s+/);
    const args = rest.join(" ");
    switch (word) {
      case "use":
        return this.#use(args);
      case ":hosts":
        return this.#printHosts(args === "" ? this.#selection : await this.#select(args));
      case ":groups":
        return this.#printGroups();
      case ":failed":
        return this.#selectFailed();
      case ":gather":
        this.#gather = !this.#gather;
        this.#print(`gathered output ${this.#gather ? "on" : "off"}\n`);
        return;
      case ":timeout": {
        // As -t and `shoal run -t`: 0 is none.
        const ms = args === "" ? Infinity : commandTimeout(args);
        this.#timeout = ms === Infinity ? undefined : ms;
        this.#print(`command timeout: ${this.#timeout === undefined ? "none" : formatDuration(this.#timeout)}\n`);
        return;
      }
      case ":put":
      case ":get":
        return this.#transfer(word, rest);
      case ":help":
        this.#print(HELP);
        return;
      case ":quit":
      case ":exit":
        this.#rl?.close();
        return;
      default:
        if (word!.startsWith(":")) throw new Error(`Unknown shell command ${word}: type :help for the list`);
        // `exit` alone on every host would only end each remote shell at once: it means leaving.
        if ((word === "exit" || word === "quit") && args === "") {
          this.#rl?.close();
          return;
        }
        if (this.#selection.length === 0 && SHELL_COMMANDS.includes(`:${word}` as (typeof SHELL_COMMANDS)[number])) {
          throw new Error(`No hosts selected to run "${line}" on; shell commands start with ":" (:${word}), and use @group selects hosts`);
        }
        return this.#run(line);
    }
  }

  async #select(pattern: string): Promise<Host[]> {
    // Without an inventory, names are ad hoc hosts (as for `shoal run`); with one, the shell has
    // no -H to add others.
    const { sets, hosts } = await loadSavedSets();
    return this.#inventory.select(pattern, {
      sets,
      savedHosts: hosts,
      adHoc: this.#inventory.path === null,
      unknownHint: "the shell takes other names only when started without an inventory",
    });
  }

  async #use(pattern: string): Promise<void> {
    if (pattern === "") throw new Error("Missing pattern: use @group, names, globs or ranges, e.g. use @web");
    this.#choose(await this.#select(pattern), pattern);
  }

  #choose(hosts: Host[], label: string): void {
    this.#selection = hosts;
    this.#label = label;
    this.#printHosts(hosts);
  }

  #selectFailed(): void {
    const failed = (this.#lastResults ?? []).filter((r) => r.state !== "ok").map((r) => r.host);
    if (this.#lastResults === undefined) throw new Error("Nothing ran yet: :failed selects the hosts that failed the last command");
    if (failed.length === 0) {
      this.#print("No host failed last time; the selection stays.\n");
      return;
    }
    const names = new Set(failed);
    this.#choose(this.#inventory.hosts.filter((h) => names.has(h.name)), "@last.failed");
  }

  #printHosts(hosts: readonly Host[]): void {
    if (hosts.length === 0) {
      this.#print("No hosts selected: use @group (or names, globs, ranges)\n");
      return;
    }
    this.#print(`${hosts.length} host${hosts.length === 1 ? "" : "s"}: ${foldHosts(hosts.map((h) => h.name)).join(",")}\n`);
  }

  #printGroups(): void {
    const groups = this.#inventory.groups;
    if (this.#inventory.path === null) {
      this.#print(`No inventory (none at ${defaultInventoryPaths().join(" or ")}; -i FILE names one): the names you select are hosts (use web01,web02 or use 10.0.0.[1-3])\n`);
      return;
    }
    if (groups.length === 0) {
      this.#print("No groups in the inventory; select hosts by name (use web01,web02) or all (use *)\n");
      return;
    }
    const width = widest(groups) + 1;
    for (const g of groups) {
      const members = this.#inventory.members(g.name) ?? [];
      this.#print(`  ${this.#paint("36", `@${g.name}`.padEnd(width))}  ${String(members.length).padStart(4)} host${members.length === 1 ? " " : "s"}  ${describeHosts(members.map((h) => h.name))}\n`);
    }
  }

  /**
   * The shell's one fleet, over the whole inventory: a run names the selected hosts, and whatever
   * connections earlier commands opened (on any selection) are reused.
   */
  #fleet(): Fleet {
    if (this.#selection.length === 0) throw new Error("No hosts selected: use @group first (:groups lists them)");
    this.#fleetOnce ??= new Fleet(this.#inventory.hosts, this.#fleetOptions);
    // Hosts outside the inventory (ad hoc names, a saved set's): the fleet takes them on as they come.
    this.#fleetOnce.add(this.#selection);
    return this.#fleetOnce;
  }

  #view(mode: Parameters<typeof drive>[1]["mode"]) {
    const tty = (this.#output as NodeJS.WriteStream).isTTY === true;
    return { color: this.#color, tty, hostWidth: widest(this.#selection), total: this.#selection.length, mode, out: this.#output, err: this.#output };
  }

  async #run(command: string): Promise<void> {
    const fleet = this.#fleet();
    // Output is shown as it comes (or gathered by its own reporter), never kept: :failed needs only
    // the states, and a session of big outputs must not pile up in memory or in spill files.
    const run = fleet.run(command, { timeout: this.#timeout, hosts: this.#selection, collect: false });
    await this.#follow(run, this.#gather ? { kind: "gather" } : { kind: "live" });
  }

  async #transfer(verb: ":put" | ":get", args: string[]): Promise<void> {
    if (args.length !== 2) throw new Error(verb === ":put" ? "Usage: :put LOCAL REMOTE" : "Usage: :get REMOTE DIR");
    const [from, to] = args as [string, string];
    const fleet = this.#fleet();
    if (verb === ":put") {
      const tree = await scanLocal(from, { recursive: true });
      await this.#follow(fleet.put(from, to, { recursive: true, hosts: this.#selection }), { kind: "put", totalBytes: tree.totalBytes * this.#selection.length });
    } else await this.#follow(fleet.get(from, to, { recursive: true, hosts: this.#selection }), { kind: "get" });
  }

  async #follow(run: FleetRun, mode: Parameters<typeof drive>[1]["mode"]): Promise<void> {
    this.#running = run;
    // Stopped while the line was being prepared (a local tree scanned for :put): nothing runs.
    if (this.#closed) run.cancel(new Error("shell closed"));
    try {
      const { results } = await drive(run, this.#view(mode));
      this.#lastResults = results;
      this.#lastStatus = exitStatusOf(results);
      await saveSets(setsOf(results), undefined, savedHostsOf(this.#selection, this.#inventory)).catch(() => {});
    } finally {
      this.#running = undefined;
    }
  }

  /** `!cmd`: runs here, with the terminal handed over (and Ctrl-C going to it, not to the shell). */
  async #local(command: string): Promise<void> {
    if (command === "") return;
    const stdin = this.#input as NodeJS.ReadStream;
    const raw = stdin.isTTY === true && stdin.isRaw;
    this.#rl?.pause();
    if (raw) stdin.setRawMode(false);
    try {
      await new Promise<void>((resolve) => {
        const child = spawn("/bin/sh", ["-c", command], { stdio: "inherit" });
        this.#localChild = child;
        child.on("error", (error) => {
          this.#print(`${error.message}\n`);
          resolve();
        });
        child.on("close", (code, signal) => {
          if (code !== 0) this.#print(this.#paint("2", `(exit ${code ?? signal})\n`));
          resolve();
        });
      });
    } finally {
      this.#localChild = undefined;
      if (raw) stdin.setRawMode(true);
      this.#rl?.resume();
    }
  }
}
