/**
 * TCP connections to a run's first hosts, opened while the rest of the fleet (ssh2 above all) is
 * still loading.
 *
 * sshd spends about half of a connection's CPU before it sends its banner: it forks, re-executes
 * itself and loads its keys. Opened early, the first connections have that done on the second core
 * while the command loads on the first, instead of after it (2–5% of `shoal run -b` on 100
 * loopback hosts). Nothing of the fleet that needs ssh2 is imported here, so that these connections
 * can be opened before it loads.
 *
 * Only the hosts the handshake gate would let start at once are opened (`DEFAULT_HANDSHAKES_PER_SERVER`,
 * or the run's own cap), so a server's MaxStartups sees no more connections than without them; only
 * hosts reached straight over TCP (no ProxyJump, no ProxyCommand). Each host's ssh_config is looked
 * up here, once: the run takes the spec with the connection and does not look it up again (a
 * `Match exec` runs once per host, as without). A connection the run does not take is closed by
 * `close()`; until taken, none keeps the process alive.
 */
import net from "node:net";
import type { Host } from "./host.js";
import { DEFAULT_HANDSHAKES_PER_SERVER } from "./handshake-gate.js";
import { SpecResolver } from "./resolve.js";
import type { ResolveOptions, ResolvedSpec, SessionOptions } from "./resolve.js";

export interface EarlyConnectionsOptions extends ResolveOptions {
  /** What the run will do on each host: the lookups see it, and the run takes only a match. */
  session: Omit<SessionOptions, "signal">;
  /** The run's forks (no more hosts are started at once). Default: no cap but the gate's. */
  forks?: number | undefined;
  /** The run's handshakes per server, if set (the fleet's `handshakesPerServer`). */
  handshakesPerServer?: number | undefined;
}

/** A host's spec as looked up for the run, and its connection when it goes straight over TCP. */
export interface EarlyConnection {
  spec: Promise<ResolvedSpec>;
  /** Undefined for proxied hosts, or once the connection failed (the run connects afresh). */
  socket: net.Socket | undefined;
}

interface Pending {
  session: Omit<SessionOptions, "signal">;
  spec: Promise<ResolvedSpec>;
  /** Stops this host's lookup (a `Match exec` still running): `close()`, or the run that took it. */
  abort: AbortController;
  socket?: net.Socket;
  failed: boolean;
}

export class EarlyConnections {
  readonly #pending = new Map<string, Pending>();
  /**
   * Settles once every early host's spec is known and its connection started. A `Match exec` can
   * make that take up to the connect timeout: wait for it only a little (the run takes a host whose
   * lookup is still running, and waits for that host's alone).
   */
  readonly ready: Promise<void>;
  #taken = 0;

  private constructor(hosts: readonly Host[], options: EarlyConnectionsOptions) {
    const resolver = new SpecResolver(options);
    const count = Math.min(hosts.length, options.forks ?? Infinity, options.handshakesPerServer ?? DEFAULT_HANDSHAKES_PER_SERVER);
    const opened: Promise<unknown>[] = [];
    for (const host of hosts.slice(0, count)) {
      if (this.#pending.has(host.name)) continue;
      const abort = new AbortController();
      const pending: Pending = { session: options.session, spec: resolver.resolve(host, { ...options.session, signal: abort.signal }), abort, failed: false };
      // A failed lookup is the run's to report, when it takes this host; not an unhandled rejection.
      pending.spec.catch(() => {});
      opened.push(pending.spec.then((spec) => this.#open(pending, spec), () => {}));
      this.#pending.set(host.name, pending);
    }
    this.ready = Promise.all(opened).then(() => {});
  }

  /**
   * Looks up the first hosts of a run and opens their connections. Throws `ConfigParseError` for a
   * mistake in ssh_config, as the fleet would.
   */
  static open(hosts: readonly Host[], options: EarlyConnectionsOptions): EarlyConnections {
    return new EarlyConnections(hosts, options);
  }

  /** How many hosts the run took (for tests and diagnostics). */
  get taken(): number {
    return this.#taken;
  }

  /**
   * The host's early spec and connection, once, if it was looked up for the same session; the run
   * owns the connection from then on, and its `signal` stops the lookup if still running.
   */
  take(host: Host, session: SessionOptions): EarlyConnection | undefined {
    const pending = this.#pending.get(host.name);
    if (!pending || pending.session.type !== session.type || pending.session.command !== session.command) return undefined;
    this.#pending.delete(host.name);
    if (session.signal) {
      const stop = () => pending.abort.abort(session.signal!.reason);
      if (session.signal.aborted) stop();
      else {
        session.signal.addEventListener("abort", stop, { once: true });
        pending.spec.finally(() => session.signal!.removeEventListener("abort", stop)).catch(() => {});
      }
    }
    this.#taken++;
    const usable = pending.socket && !pending.failed && !pending.socket.destroyed;
    if (pending.socket && !usable) pending.socket.destroy();
    // Still unsettled (its lookup not done): the run connects as usual once it has the spec.
    if (!pending.socket) pending.failed = true;
    pending.socket?.ref();
    return { spec: pending.spec, socket: usable ? pending.socket : undefined };
  }

  /** Stops the lookups still running and closes the connections no run took. */
  close(): void {
    for (const pending of this.#pending.values()) {
      pending.abort.abort();
      pending.failed = true;
      pending.socket?.destroy();
    }
    this.#pending.clear();
  }

  #open(pending: Pending, spec: ResolvedSpec): void {
    if (pending.failed || spec.proxyJump !== undefined || spec.proxyCommand !== undefined) return;
    let socket: net.Socket;
    try {
      socket = net.connect({ host: spec.hostname, port: spec.port });
    } catch {
      return; // an address Node refuses: the run says so when it connects
    }
    socket.unref();
    // The run reports a failure when it connects afresh; until then it only marks this one unusable.
    socket.on("error", () => (pending.failed = true));
    socket.once("close", () => (pending.failed = true));
    pending.socket = socket;
  }
}
