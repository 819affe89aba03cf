/**
 * The runner: the lesson's producer/consumer at fleet scale.
 *
 * The hosts go into a `Queue`; `forks` workers take a host each, connect (under the per-server
 * handshake cap), run, and take the next; every event goes out through a second, bounded `Queue`
 * to whoever iterates the run (the CLI's reporters, or your code). A slow reader slows the workers
 * instead of piling output up in memory. Every host ends with exactly one `done` event.
 *
 * ```ts
 * const inventory = await Inventory.load("shoal.yml");
 * await using fleet = new Fleet(inventory.select("@web"), { forks: 64 });
 * for await (const ev of fleet.run("uptime")) if (ev.type === "stdout") process.stdout.write(`${ev.host}: ${ev.data}`);
 * ```
 */
import { setMaxListeners } from "node:events";
import type net from "node:net";
import type { Duplex } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { Queue } from "./queue.js";
import type { Host } from "./host.js";
import { adHocHost } from "./host.js";
import { HostRangeError, expandHostNames } from "./host-range.js";
import { Credentials } from "./credentials.js";
import type { CredentialOptions } from "./credentials.js";
import { FleetError, connect } from "./connection.js";
import type { HostConnection } from "./connection.js";
import { FileError } from "./file-error.js";
import type { ErrorKind, FinalState, FleetEvent, HostResult } from "./events.js";
import { HandshakeGate } from "./handshake-gate.js";
import { KnownHosts, defaultKnownHostsPath } from "./known-hosts.js";
import type { HostKeyNote } from "./known-hosts.js";
import { OutputStore } from "./output-store.js";
import { formatDuration } from "./duration.js";
import type { HostOutput } from "./output-store.js";
import { SpecResolver } from "./resolve.js";
import type { EarlyConnections } from "./early-connections.js";
import type { ResolvedSpec } from "./resolve.js";
import type { ResolveOptions } from "./resolve.js";
import { getTree, putTree, scanLocal } from "./transfer.js";
import type { TransferOptions } from "./transfer.js";
import { DEFAULT_FORKS } from "./limits.js";
import { checkFleetOptions, checkRunOptions } from "./option-checks.js";

export { DEFAULT_FORKS };

export interface FleetOptions extends ResolveOptions, CredentialOptions {
  /** Hosts worked on at a time (default 64). */
  forks?: number | undefined;
  /** SSH handshakes in flight per server, fixed. Default: 8 (under sshd's MaxStartups of 10), growing while the server drops none. */
  handshakesPerServer?: number | undefined;
  /** Extra connect attempts after a failed connect (never after the command started). Default 0. */
  retries?: number | undefined;
  /** First retry delay in ms, doubled each time (with jitter). Default 500. */
  retryDelay?: number | undefined;
  /**
   * known_hosts file(s) for hosts that name none (`known_hosts` var); default ~/.ssh/known_hosts.
   * `false` turns host-key checking off.
   */
  knownHosts?: string | readonly string[] | false | undefined;
  /** Trust unknown host keys on first use and save them (never a changed key). */
  acceptNew?: boolean | undefined;
  /**
   * Keep connections open after a command for the next one (an interactive shell, repeated runs):
   * the second command costs a channel, not a handshake. Close them with `close()`. A number keeps
   * at most that many, closing the least recently used first (each holds an open file).
   */
  keepConnections?: boolean | number | undefined;
}

/** Which of the fleet's hosts a run works on. */
export interface SubsetOptions {
  /**
   * A subset of the fleet's hosts (names or `Host`s of this fleet), in the order given; default
   * every host. One `Fleet` over a whole inventory serves every selection, and kept connections
   * are shared by all of them.
   */
  hosts?: Iterable<Host | string> | undefined;
  /**
   * Connections to the first hosts opened before the fleet loaded (the `shoal` command opens them
   * while ssh2 loads): the run takes each host's spec and connection from there, if they were made
   * for the same session (its kind and command).
   */
  earlyConnections?: EarlyConnections | undefined;
}

export interface RunOptions extends SubsetOptions {
  /** Milliseconds for the command on each host, from its start there. */
  timeout?: number | undefined;
  /** Ask for a pseudo-terminal. */
  pty?: boolean | undefined;
  /** Bytes sent to every host's stdin (then EOF). */
  input?: Buffer | undefined;
  /** Aborting stops the remote commands (signal, then channel close) and ends every host as `killed`. */
  signal?: AbortSignal | undefined;
  /** Keep each host's output for `results()` (default true). Past a memory budget it spills to disk. */
  collect?: boolean | undefined;
  /**
   * Forwards the ssh-agent to the command on every host (`ssh -A`): the fleet's `agent` option, or
   * `SSH_AUTH_SOCK`. Only to hosts you trust: their root can use the agent while the command runs.
   */
  forwardAgent?: boolean | undefined;
}

export interface PingOptions extends SubsetOptions {
  signal?: AbortSignal | undefined;
}

type Emit = (ev: FleetEvent) => Promise<void>;

interface Job {
  kind: "run" | "put" | "get" | "ping";
  /** The remote command of a run (what ssh_config's `Match command` sees). */
  command?: string | undefined;
  hosts: readonly Host[];
  early?: EarlyConnections | undefined;
  work(conn: HostConnection, host: Host, emit: Emit, startedAt: number, signal: AbortSignal): Promise<Partial<HostResult>>;
  signal?: AbortSignal | undefined;
  /** Called once before any host starts (e.g. scan local files). */
  prepare?: () => Promise<void>;
}

/** Maps an error kind to the final state it leaves a host in. */
export function stateOf(kind: ErrorKind): FinalState {
  switch (kind) {
    case "timeout":
      return "timeout";
    case "auth":
      return "auth";
    case "hostkey":
      return "hostkey";
    case "killed":
      return "killed";
    default:
      return "unreachable";
  }
}

/** The final state a failure leaves its host in: a file the host refused is `failed`, the host was reached. */
function stateOfError(err: FleetError): FinalState {
  return err instanceof FileError ? "failed" : stateOf(err.kind);
}

/** Short reasons per kind, to group failed hosts by in summaries. */
function reasonOf(err: FleetError): string {
  if (err.reason) return err.reason;
  if (err.kind === "timeout") return err.phase === "command" ? err.message.replace(/^command /, "command ") : "connect timed out";
  if (err.kind === "refused") return "connection refused";
  if (err.kind === "dns") return "name does not resolve";
  if (err.kind === "maxstartups") return "dropped before banner (MaxStartups)";
  if (err.kind === "auth") return "authentication failed";
  if (err.kind === "hostkey") return err.message.includes("CHANGED") ? "host key changed" : err.message.includes("REVOKED") ? "host key revoked" : "host key unknown";
  if (err.kind === "killed") return "interrupted";
  return err.phase === "command" ? "connection lost" : err.message;
}

export class Fleet implements AsyncDisposable {
  #hosts: readonly Host[];
  readonly #options: FleetOptions;
  readonly #forks: number;
  readonly #gate: HandshakeGate;
  readonly #credentials: Credentials;
  readonly #resolver: SpecResolver;
  /**
   * known_hosts as each run read it, by file list: read again for every run, so that a key added or
   * removed between runs (ssh-keygen -R after a changed key, in the shell) counts at the next.
   */
  readonly #knownHosts = new WeakMap<FleetRun, Map<string, Promise<KnownHosts>>>();
  readonly #open = new Map<string, HostConnection>();
  readonly #store = new OutputStore();
  readonly #jumps = new Map<string, Promise<HostConnection>>();
  /** The signal of the run each jump connection was opened for: its cancel is no failure of the other runs waiting on it. */
  readonly #jumpOpenedUnder = new WeakMap<Promise<HostConnection>, AbortSignal>();
  readonly #byName: Map<string, Host>;
  #closed = false;
  /** Runs started and not yet ended: close() cancels them, and lets go of what they use after them. */
  readonly #active = new Set<FleetRun>();

  constructor(hosts: Iterable<Host | string>, options: FleetOptions = {}) {
    checkFleetOptions(options);
    checkHostList(hosts, "new Fleet: hosts");
    // One host per name, the first given (as add() keeps them): a name twice ran twice, two `done`s.
    const byName = new Map<string, Host>();
    for (const host of hostsOf(hosts)) if (!byName.has(host.name)) byName.set(host.name, host);
    this.#hosts = [...byName.values()];
    this.#byName = byName;
    this.#forks = options.forks ?? DEFAULT_FORKS;
    this.#options = options;
    this.#gate = new HandshakeGate(options.handshakesPerServer);
    this.#credentials = new Credentials(options);
    this.#resolver = new SpecResolver(options);
  }

  /** The fleet's hosts: those it was made with, then those `add()` gave it. */
  get hosts(): readonly Host[] {
    return this.#hosts;
  }

  /**
   * Adds hosts (names it has already are left as they are), for runs to select: a shell without an
   * inventory meets its hosts as they are typed, and keeps one fleet and its connections for all.
   */
  add(hosts: Iterable<Host | string>): void {
    checkHostList(hosts, "Fleet.add: hosts");
    const added: Host[] = [];
    for (const host of hostsOf(hosts)) {
      if (this.#byName.has(host.name)) continue;
      this.#byName.set(host.name, host);
      added.push(host);
    }
    // A new array: a run already started keeps the hosts it was given.
    if (added.length > 0) this.#hosts = [...this.#hosts, ...added];
  }

  /** Hosts worked on at a time. */
  get forks(): number {
    return this.#forks;
  }

  /** Connections kept open for reuse (with `keepConnections`). */
  get openConnections(): number {
    return [...this.#open.values()].filter((c) => c.alive).length;
  }

  /** Runs a shell command on every host. */
  run(command: string, options: RunOptions = {}): FleetRun {
    const timeout = checkRunOptions(options, "Fleet.run");
    const collect = options.collect ?? true;
    const forwardAgent = options.forwardAgent ? this.#credentials.agent : undefined;
    if (options.forwardAgent && forwardAgent === undefined) {
      throw new TypeError("Fleet.run: forwardAgent needs an ssh-agent: SSH_AUTH_SOCK is not set (or the fleet's agent option is false)");
    }
    return this.#start({
      kind: "run",
      command,
      hosts: this.#select(options.hosts),
      early: options.earlyConnections,
      signal: options.signal,
      work: async (conn, host, emit, startedAt, signal) => {
        const out = collect ? this.#store.create(`${host.name}.out`) : undefined;
        const err = collect ? this.#store.create(`${host.name}.err`) : undefined;
        const decoders = { stdout: new StringDecoder("utf8"), stderr: new StringDecoder("utf8") };
        // A character cut off at the end of the output is told (as U+FFFD) before the exit: no output after it.
        const flush = async (): Promise<void> => {
          for (const name of ["stdout", "stderr"] as const) {
            const rest = decoders[name].end();
            if (rest) await emit({ type: name, host: host.name, time: performance.now() - startedAt, data: rest, bytes: Buffer.alloc(0) });
          }
        };
        const finish = async (): Promise<Pick<HostResult, "stdout" | "stderr">> => {
          await Promise.all([out?.close(), err?.close()]);
          return { stdout: await textOf(out), stderr: await textOf(err) };
        };
        try {
          const r = await conn.exec(command, {
            pty: options.pty,
            forwardAgent,
            input: options.input,
            timeout,
            signal,
            onData: async (stream, chunk) => {
              const keep = (stream === "stdout" ? out : err)?.append(chunk);
              const data = decoders[stream].write(chunk);
              await emit({ type: stream, host: host.name, time: performance.now() - startedAt, data, bytes: chunk });
              await keep;
            },
          });
          await flush();
          await emit({ type: "exit", host: host.name, time: performance.now() - startedAt, status: r.status, signal: r.signal });
          const texts = await finish();
          const ok = r.status === 0;
          return { state: ok ? "ok" : "failed", exitStatus: r.status, signal: r.signal, reason: ok ? undefined : r.status === null ? `killed by SIG${r.signal ?? "?"}` : `exit ${r.status}`, ...texts };
        } catch (e) {
          await flush();
          const texts = await finish();
          throw Object.assign(e as Error, { partial: texts });
        }
      },
    });
  }

  /** Copies a local file (or tree with `recursive`) to `remote` on every host. */
  put(local: string, remote: string, options: TransferOptions & SubsetOptions = {}): FleetRun {
    const timeout = checkRunOptions(options, "Fleet.put");
    let treeP: ReturnType<typeof scanLocal> | undefined;
    return this.#start({
      kind: "put",
      hosts: this.#select(options.hosts),
      early: options.earlyConnections,
      signal: options.signal,
      prepare: async () => {
        treeP = scanLocal(local, options);
        await treeP;
      },
      work: async (conn, host, emit, startedAt, signal) => {
        const tree = await treeP!;
        const r = await withTimeout(timeout, signal, (s) =>
          putTree(conn, tree, remote, { ...options, signal: s }, throttle(s, (bytes, total) => emit({ type: "progress", host: host.name, time: performance.now() - startedAt, bytes, total }))),
        );
        return { state: "ok", ...r };
      },
    });
  }

  /** Fetches `remote` (a file, or a tree with `recursive`) from every host into `localDir/HOST/`. */
  get(remote: string, localDir: string, options: TransferOptions & SubsetOptions = {}): FleetRun {
    const timeout = checkRunOptions(options, "Fleet.get");
    return this.#start({
      kind: "get",
      hosts: this.#select(options.hosts),
      early: options.earlyConnections,
      signal: options.signal,
      work: async (conn, host, emit, startedAt, signal) => {
        const r = await withTimeout(timeout, signal, (s) =>
          getTree(conn, host.name, remote, localDir, { ...options, signal: s }, throttle(s, (bytes, total) => emit({ type: "progress", host: host.name, time: performance.now() - startedAt, bytes, total }))),
        );
        return { state: "ok", ...r };
      },
    });
  }

  /** Connects, authenticates and measures one round trip per host. */
  ping(options: PingOptions = {}): FleetRun {
    checkRunOptions(options, "Fleet.ping", false);
    return this.#start({
      kind: "ping",
      hosts: this.#select(options.hosts),
      early: options.earlyConnections,
      signal: options.signal,
      work: async (conn, host, emit, startedAt) => {
        const rttMs = await conn.ping();
        await emit({ type: "ping", host: host.name, time: performance.now() - startedAt, rttMs });
        return { state: "ok", rttMs };
      },
    });
  }

  /**
   * Closes every kept connection and removes spilled output. Safe to call twice. Runs still going
   * are cancelled (their hosts end `killed`); the jump connections and spill files they use go
   * when the last of them ends.
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const run of this.#active) run.cancel(new Error("the fleet was closed"));
    for (const c of this.#open.values()) c.close();
    this.#open.clear();
    if (this.#active.size === 0) await this.#release();
  }

  /** What a closed fleet lets go of once no run uses it. */
  async #release(): Promise<void> {
    await this.#closeJumps();
    await this.#store.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The fleet's own hosts for a selection; a host the fleet does not have is a RangeError. */
  #select(selection: Iterable<Host | string> | undefined): readonly Host[] {
    if (selection === undefined) return this.#hosts;
    checkHostList(selection, "the hosts option");
    const chosen: Host[] = [];
    const seen = new Set<string>();
    for (const h of selection) {
      const name = typeof h === "string" ? h : h.name;
      const host = this.#byName.get(name);
      if (host === undefined) throw new RangeError(`Cannot select host ${JSON.stringify(name)}: it is not one of this fleet's hosts`);
      if (!seen.has(name)) chosen.push(host);
      seen.add(name);
    }
    return chosen;
  }

  /** Keeps a connection for the next run, closing the least recently used past the limit. */
  #keep(name: string, conn: HostConnection): void {
    const keep = this.#options.keepConnections;
    if (!keep || this.#closed || !conn.alive) return conn.close();
    // Two runs at once on one host each opened a connection: the one displaced would stay open, out
    // of close()'s reach, and keep the process alive.
    const displaced = this.#open.get(name);
    this.#open.delete(name);
    if (displaced !== undefined && displaced !== conn) displaced.close();
    this.#open.set(name, conn);
    const limit = keep === true ? Infinity : keep;
    for (const [oldest, c] of this.#open) {
      if (this.#open.size <= limit) break;
      this.#open.delete(oldest);
      c.close();
    }
  }

  #knownHostsFor(files: string[] | undefined, run: FleetRun): Promise<KnownHosts> | null {
    if (this.#options.knownHosts === false) return null;
    const configured = this.#options.knownHosts;
    const list = files ?? (configured === undefined ? [defaultKnownHostsPath()] : typeof configured === "string" ? [configured] : [...configured]);
    const key = list.join("\0");
    let read = this.#knownHosts.get(run);
    if (!read) this.#knownHosts.set(run, (read = new Map()));
    let p = read.get(key);
    if (!p) read.set(key, (p = KnownHosts.load(list)));
    return p;
  }

  #start(job: Job): FleetRun {
    if (this.#closed) throw new Error("Cannot run: the fleet is closed");
    return new FleetRun((emit, run) => this.#execute(job, emit, run));
  }

  async #execute(job: Job, emitRaw: Emit, run: FleetRun): Promise<void> {
    // Made before close() and started after it: its output would spill into a folder nothing removes.
    if (this.#closed) throw new Error("Cannot run: the fleet is closed");
    this.#active.add(run);
    try {
      await this.#executeActive(job, emitRaw, run);
    } finally {
      this.#active.delete(run);
      // Jump connections are shared by the runs going at once: the last to end closes them.
      if (this.#closed && this.#active.size === 0) await this.#release();
      else if (!this.#options.keepConnections && this.#active.size === 0) await this.#closeJumps();
    }
  }

  async #executeActive(job: Job, emitRaw: Emit, run: FleetRun): Promise<void> {
    const startedAt = performance.now();
    const controller = new AbortController();
    const signal = job.signal ? AbortSignal.any([job.signal, controller.signal]) : controller.signal;
    setMaxListeners(0, controller.signal);
    if (signal !== controller.signal) setMaxListeners(0, signal);
    run._abort = (reason) => controller.abort(reason);
    await job.prepare?.();
    const hostQueue = new Queue<Host>();
    for (const h of job.hosts) {
      await emitRaw({ type: "queued", host: h.name, time: performance.now() - startedAt });
      hostQueue.putNowait(h);
    }
    hostQueue.shutdown();
    const worker = async () => {
      for await (const host of hostQueue) await this.#one(job, host, emitRaw, startedAt, signal, run);
    };
    await Promise.all(Array.from({ length: Math.min(this.#forks, Math.max(1, job.hosts.length)) }, worker));
    // Keys trusted under accept-new are written once, at the end. A file that cannot be written
    // loses them (they are trusted again next time), which is said, not thrown at the run's end.
    for (const pending of this.#knownHosts.get(run)?.values() ?? []) {
      const kh = await pending.catch(() => undefined);
      await kh?.saveAccepted().catch((error: Error) => {
        process.emitWarning(`Cannot save the host keys accepted with accept-new to ${kh.path}: ${error.message}`, { code: "SHOAL_KNOWN_HOSTS" });
      });
    }
  }

  async #one(job: Job, host: Host, emit: Emit, startedAt: number, signal: AbortSignal, run: FleetRun): Promise<void> {
    const t0 = performance.now();
    const time = () => performance.now() - startedAt;
    const done = async (r: Omit<HostResult, "host" | "durationMs">) => {
      const result: HostResult = { host: host.name, durationMs: performance.now() - t0, ...r };
      await emit({ type: "done", host: host.name, time: time(), result });
    };
    if (signal.aborted) return done({ state: "killed", kind: "killed", reason: "interrupted" });
    let conn: HostConnection;
    let reused = false;
    const kept = this.#open.get(host.name);
    if (kept?.alive) {
      conn = kept;
      reused = true;
      this.#open.delete(host.name);
      await emit({ type: "connecting", host: host.name, time: time(), attempt: 1 });
    } else {
      // Resolved only to open a connection: a kept one needs no lookup (and no `Match exec` run again).
      let spec: ResolvedSpec;
      // What ssh_config's Match sessiontype and Match command see, as for ssh -s sftp, ssh cmd and ssh -N.
      const session = job.kind === "put" || job.kind === "get" ? ({ type: "subsystem", command: "sftp" } as const) : job.kind === "run" ? ({ type: "exec", command: job.command } as const) : ({ type: "none" } as const);
      const early = job.early?.take(host, { ...session, signal });
      try {
        spec = await (early?.spec ?? this.#resolver.resolve(host, { ...session, signal }));
      } catch (error) {
        early?.socket?.destroy();
        if (!(error instanceof FleetError)) throw error;
        await emit({ type: "error", host: host.name, time: time(), kind: error.kind, message: error.message, retrying: false });
        return done({ state: stateOfError(error), kind: error.kind, reason: reasonOf(error) });
      }
      const c = await this.#connect(spec, host, emit, time, signal, run, early?.socket);
      if (c instanceof FleetError) return done({ state: stateOfError(c), kind: c.kind, reason: reasonOf(c) });
      conn = c;
    }
    await emit({ type: "connected", host: host.name, time: time(), connectMs: reused ? 0 : Math.round(conn.connectMs), reused });
    try {
      const r = await job.work(conn, host, emit, startedAt, signal);
      await done({ state: "ok", connectMs: reused ? 0 : conn.connectMs, ...r });
    } catch (e) {
      const err = e instanceof FleetError ? e : signal.aborted ? new FleetError("killed", "interrupted", "command") : new FleetError("channel", (e as Error).message, job.kind === "run" ? "command" : "transfer");
      await emit({ type: "error", host: host.name, time: time(), kind: err.kind, message: err.message });
      const partial = (e as { partial?: Partial<HostResult> }).partial ?? {};
      await done({ state: stateOfError(err), kind: err.kind, reason: reasonOf(err), connectMs: reused ? 0 : conn.connectMs, ...partial });
      // A command stopped by Ctrl-C lost only its channel: the connection serves the next. (Not after a
      // timeout: a connection that went silent would time every later command out instead of failing fast.)
      if (err.phase === "command" && err.kind === "killed") this.#keep(host.name, conn);
      else conn.close();
      return;
    }
    this.#keep(host.name, conn);
  }

  async #closeJumps(): Promise<void> {
    const jumps = [...this.#jumps.values()];
    this.#jumps.clear();
    for (const j of jumps) (await j.catch(() => undefined))?.close();
  }

  /**
   * The connection to a jump host (`[user@]host[:port]`, or a chain `a,b`), opened once per run and
   * shared by every host behind it. A hop takes the user and keys of the host it leads to, unless it
   * names its own user; ~/.ssh/config applies to it as to any host.
   */
  #jump(chain: string, via: Host, signal: AbortSignal, run: FleetRun): Promise<HostConnection> {
    const cached = this.#jumps.get(chain);
    if (cached) {
      // A kept jump connection that died since (the bastion restarted, the network dropped it) is
      // replaced, once for all the hosts behind it; it failed every one of them for good.
      return cached.then(
        (conn) => {
          if (conn.alive) return conn;
          if (this.#jumps.get(chain) === cached) this.#jumps.delete(chain);
          return this.#jump(chain, via, signal, run);
        },
        (error: unknown) => {
          // Opened for a run cancelled meanwhile (a break out of its loop): this run opens its own.
          if (signal.aborted || !this.#jumpOpenedUnder.get(cached)?.aborted) throw error;
          if (this.#jumps.get(chain) === cached) this.#jumps.delete(chain);
          return this.#jump(chain, via, signal, run);
        },
      );
    }
    const p = (async () => {
      const hops = chain.split(",").map((h) => h.trim()).filter(Boolean);
      const last = hops.pop()!;
      const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(last);
      if (!m) throw new FleetError("dns", `Invalid proxy_jump ${JSON.stringify(last)}: expected [user@]host[:port]`, "connect");
      const name = m[2]!.replace(/^\[|\]$/g, "");
      const hop: Host = adHocHost(name, {
        user: m[1] ?? via.vars.user,
        identity_file: via.vars.identity_file,
        password_env: via.vars.password_env,
        known_hosts: via.vars["known_hosts"],
        ...(m[3] ? { port: Number(m[3]) } : {}),
      });
      const spec = await this.#resolver.resolve(hop, { type: "none", signal });
      const sock = hops.length > 0 ? await (await this.#jump(hops.join(","), via, signal, run)).forwardOut(spec.hostname, spec.port) : undefined;
      return connect(spec, this.#context(await this.#knownHostsFor(spec.knownHosts, run), signal, run, sock));
    })();
    p.catch(() => {
      if (this.#jumps.get(chain) === p) this.#jumps.delete(chain);
    });
    this.#jumps.set(chain, p);
    this.#jumpOpenedUnder.set(p, signal);
    return p;
  }

  #context(knownHosts: KnownHosts | null, signal: AbortSignal, run: FleetRun, sock?: Duplex) {
    return {
      credentials: this.#credentials,
      knownHosts,
      acceptNew: this.#options.acceptNew ?? false,
      gate: this.#gate,
      onHostKey: (note: HostKeyNote) => run.hostKeys.push(note),
      signal,
      sock,
    };
  }

  /** `early`: a TCP connection to the host opened before the run, for the first attempt. */
  async #connect(spec: ResolvedSpec, host: Host, emit: Emit, time: () => number, signal: AbortSignal, run: FleetRun, early?: net.Socket): Promise<HostConnection | FleetError> {
    const retries = this.#options.retries ?? 0;
    const baseDelay = this.#options.retryDelay ?? 500;
    let knownHosts: KnownHosts | null;
    try {
      knownHosts = await this.#knownHostsFor(spec.knownHosts, run);
    } catch (error) {
      early?.destroy();
      // A known_hosts that cannot be read (a folder, no permission): no key can be checked.
      const message = (error as Error).message;
      await emit({ type: "error", host: host.name, time: time(), kind: "hostkey", message, retrying: false });
      return new FleetError("hostkey", message, "connect", message);
    }
    let attempt = 0;
    let dropped = 0;
    let tcp = early;
    let afresh = false;
    for (;;) {
      if (afresh) afresh = false;
      else {
        attempt++;
        await emit({ type: "connecting", host: host.name, time: time(), attempt });
      }
      let err: FleetError;
      try {
        const sock = spec.proxyJump ? await (await this.#jump(spec.proxyJump, host, signal, run)).forwardOut(spec.hostname, spec.port) : undefined;
        return await connect(spec, { ...this.#context(knownHosts, signal, run, sock), tcp });
      } catch (e) {
        err = e instanceof FleetError ? e : signal.aborted ? new FleetError("killed", "interrupted", "connect") : new FleetError("channel", (e as Error).message, "connect");
      }
      // An early connection can have gone stale while it waited (the server's LoginGraceTime, a
      // NAT's idle timeout): what failed on it before authentication is tried once more on a new
      // connection, as the same attempt.
      const usedEarly = tcp !== undefined;
      tcp = undefined;
      if (usedEarly && !signal.aborted && err.phase !== "auth" && err.kind !== "hostkey" && err.kind !== "timeout") {
        afresh = true;
        continue;
      }
      // A drop before the banner is the server shedding load (MaxStartups): the gate has halved,
      // try again without spending a --retries attempt, a few times.
      const shed = err.kind === "maxstartups" && dropped < 6;
      if (shed) dropped++;
      const retryable = err.kind === "refused" || err.kind === "timeout" || err.kind === "maxstartups" || (err.kind === "channel" && err.phase !== "command");
      const again = !signal.aborted && (shed || (retryable && attempt - dropped <= retries));
      await emit({ type: "error", host: host.name, time: time(), kind: err.kind, message: err.message, retrying: again });
      if (!again) return err;
      const delay = (shed ? 100 * 2 ** (dropped - 1) : baseDelay * 2 ** (attempt - dropped - 1)) * (0.5 + Math.random());
      await sleep(Math.min(delay, 10_000), signal).catch(() => {});
      if (signal.aborted) return new FleetError("killed", "interrupted", "connect");
    }
  }
}

/**
 * A string is iterable, by character: `new Fleet("web01")` would be five hosts named `w`, `e`, `b`,
 * `0` and `1`, each failing as a name that does not resolve.
 */
function checkHostList(hosts: unknown, where: string): void {
  if (typeof hosts === "string") throw new TypeError(`${where} must be a list of hosts or names, not a string: got ${JSON.stringify(hosts)} (write [${JSON.stringify(hosts)}])`);
}

/**
 * The hosts given to a fleet: names as `Inventory.fromHosts` takes them (ranges expanded, checked as
 * -H checks them), since a name taken as it is would be connected to as it is (`""` is localhost,
 * `web[1-3]` and `root@web1:22` fail late as names that do not resolve).
 * @throws HostRangeError naming the name and what is wrong in it.
 */
function hostsOf(items: Iterable<Host | string>): Host[] {
  const hosts: Host[] = [];
  for (const item of items) {
    if (typeof item !== "string") {
      hosts.push(item);
      continue;
    }
    let names: string[];
    try {
      names = expandHostNames(item);
    } catch (err) {
      if (err instanceof HostRangeError && /[@:]/.test(item)) throw new HostRangeError(`${err.message}; a user or port goes in a Host: adHocHost(name, { user, port })`, err.text, err.index);
      throw err;
    }
    for (const name of names) hosts.push(adHocHost(name));
  }
  return hosts;
}

/** Runs a host's transfer under its timeout: the signal given to it aborts with a FleetError when time is up. */
async function withTimeout<T>(timeout: number | undefined, signal: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  if (timeout === undefined) return work(signal);
  const controller = new AbortController();
  const message = `transfer timed out after ${formatDuration(timeout)}`;
  const timer = setTimeout(() => controller.abort(new FleetError("timeout", message, "transfer", message)), timeout);
  try {
    return await work(AbortSignal.any([signal, controller.signal]));
  } catch (err) {
    throw controller.signal.aborted ? controller.signal.reason : err;
  } finally {
    clearTimeout(timer);
  }
}

/** A host's output as text for its result, read back from its spill file if it has one; then freed. */
async function textOf(out: HostOutput | undefined): Promise<string | undefined> {
  if (!out) return undefined;
  try {
    return await out.text();
  } finally {
    await out.release();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Progress callbacks at most every 100 ms, so a fast copy does not flood the event queue; none once
 * `signal` aborted (ssh2 may still report writes of a copy that was given up on, after the run ended).
 */
function throttle(signal: AbortSignal, fn: (bytes: number, total: number) => Promise<void>): (bytes: number, total: number) => void {
  let last = 0;
  let lastTotal = -1;
  let pending: Promise<void> = Promise.resolve();
  return (bytes, total) => {
    const now = performance.now();
    // A new total (get learns it once it has listed the files) is always told.
    if ((now - last < 100 && total === lastTotal) || signal.aborted) return;
    last = now;
    lastTotal = total;
    pending = pending.then(() => (signal.aborted ? undefined : fn(bytes, total))).catch(() => {});
  };
}

/**
 * One run over the fleet: an async iterable of its events (iterate it once), with `results()` for
 * the hosts' outcomes and `cancel()` to stop it. Nothing starts until it is iterated or awaited.
 */
export class FleetRun implements AsyncIterable<FleetEvent> {
  readonly #events = new Queue<FleetEvent>(1024);
  readonly #start: (emit: Emit, run: FleetRun) => Promise<void>;
  #started: Promise<void> | undefined;
  #iterated = false;
  readonly #results: HostResult[] = [];
  /** Host keys the run could not verify, or newly trusted: for one table at the end. */
  readonly hostKeys: HostKeyNote[] = [];
  /** @internal */
  _abort: ((reason?: unknown) => void) | undefined;
  #cancelReason: unknown;

  constructor(start: (emit: Emit, run: FleetRun) => Promise<void>) {
    this.#start = start;
  }

  #go(): Promise<void> {
    this.#started ??= (async () => {
      try {
        await this.#start(async (ev) => {
          if (ev.type === "done") this.#results.push(ev.result);
          await this.#events.put(ev);
        }, this);
      } finally {
        this.#events.shutdown();
      }
    })();
    if (this.#cancelReason !== undefined) queueMicrotask(() => this._abort?.(this.#cancelReason));
    return this.#started;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<FleetEvent> {
    if (this.#iterated) throw new Error("Cannot iterate a fleet run twice: keep its events, or call results()");
    this.#iterated = true;
    // The run is alive until its last event is read, whatever the queues wait on (a pending
    // Atomics.waitAsync alone does not keep Node's event loop running).
    const alive = setInterval(() => {}, 1 << 30);
    const running = this.#go();
    running.catch(() => {});
    let read = false;
    try {
      for await (const ev of this.#events) yield ev;
      read = true;
      await running;
    } finally {
      // Left early (break, return, a throw in the loop): nobody reads the events any more, so the
      // hosts still working would fill the bounded queue and wait on it for ever, their commands and
      // connections open. They are stopped as by cancel() and their events drained, so the loop
      // ends with every host done (results() holds them) and nothing left running.
      if (!read) {
        this.cancel(new Error("the run's events were no longer read"));
        for await (const _ of this.#events) void _;
        await running.catch(() => {});
      }
      clearInterval(alive);
    }
  }

  /** Every host's result, once all are done (in the order they finished). */
  async results(): Promise<HostResult[]> {
    if (!this.#iterated) for await (const _ of this) void _;
    else await this.#go();
    return [...this.#results];
  }

  /** Stops the run: no new host starts, running commands are stopped, and every host ends as killed. */
  cancel(reason: unknown = new Error("cancelled")): void {
    this.#cancelReason = reason;
    this._abort?.(reason);
  }
}
