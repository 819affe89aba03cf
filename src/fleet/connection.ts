/**
 * One authenticated SSH connection to one host, and the commands, pings and SFTP sessions on it.
 *
 * Connecting classifies every failure into the fleet's fixed error kinds, keeps the whole attempt
 * (TCP, banner, key exchange, authentication) under one timeout, and holds a handshake slot of the
 * server while sshd counts the connection as a startup.
 */
import net from "node:net";
import type { Duplex } from "node:stream";
import { Client } from "ssh2";
import type { ClientChannel, ParsedKey } from "ssh2";
import type { Credentials } from "./credentials.js";
import { isKeyProblem } from "./credentials.js";
import { FleetError } from "./fleet-error.js";
import { formatDuration } from "./duration.js";
import type { HandshakeGate, HandshakeSlot } from "./handshake-gate.js";
import { HandshakeGate as Gate } from "./handshake-gate.js";
import type { HostKeyNote, KnownHosts } from "./known-hosts.js";
import { fingerprintOf, keyTypeOf, knownHostsName } from "./known-hosts.js";
import { useKeyObjects } from "./key-objects.js";
import { SftpSession } from "./sftp-session.js";
import { preferCheapKexOnOpenSsh, signPublickeyAtOnce, skipHostKeyProofs } from "../ssh/protocol-shortcuts.js";
import { enableAgentForwarding, isForwardingRefused } from "../ssh/agent-forwarding.js";
import { sendSignal } from "../ssh/remote-signal.js";
import { ProxyCommand } from "../ssh/proxy-command.js";
import { ProxyCommandFailure } from "../ssh/errors.js";

export { FleetError };

useKeyObjects();

/** Where and as whom to connect, after the inventory and ~/.ssh/config are applied. */
export interface ConnectSpec {
  /** The inventory name (errors and host-key notes use it). */
  name: string;
  hostname: string;
  port: number;
  username: string;
  identityFiles: readonly string[];
  passwordEnv?: string | undefined;
  /** Milliseconds for TCP connect, banner, key exchange and authentication together. */
  connectTimeout: number;
  /** A command that carries the connection on its stdin and stdout, started once the handshake slot is ours. */
  proxyCommand?: string | undefined;
  /**
   * For a proxy command through one bastion (`ssh -W %h:%p bastion`), the command with the host's
   * own values as tokens: hosts that share it share the bastion's MaxStartups, so they share a cap.
   */
  proxyGroup?: string | undefined;
}

export interface ConnectContext {
  credentials: Credentials;
  /** `null` turns host-key checking off (testbeds with throwaway keys). */
  knownHosts: KnownHosts | null;
  /** Trust keys of hosts known_hosts does not list (never a changed key). */
  acceptNew: boolean;
  gate: HandshakeGate;
  /** Called for every key that was not simply known. */
  onHostKey: (note: HostKeyNote) => void;
  signal?: AbortSignal | undefined;
  /** A stream to speak SSH over instead of TCP (a jump host's direct-tcpip channel). */
  sock?: Duplex | undefined;
  /** A TCP connection to the host already opened (or opening), to use instead of a new one. */
  tcp?: net.Socket | undefined;
}

/** How long a server may take to send its banner before its handshake slot is given to another host. */
const BANNER_GRACE_MS = 1000;
/**
 * The same through a bastion, whose own handshake comes first: long enough for that handshake
 * (what the bastion's MaxStartups counts), short enough that targets that never answer do not
 * keep the others queued for a whole connect timeout.
 */
const BASTION_GRACE_MS = 3000;

export async function connect(spec: ConnectSpec, ctx: ConnectContext): Promise<HostConnection> {
  const key =
    spec.proxyCommand !== undefined && spec.proxyGroup !== undefined && ctx.sock === undefined
      ? `proxy:${spec.proxyGroup}`
      : Gate.serverKey(spec.hostname, spec.port, ctx.knownHosts?.expectedKey(knownHostsName(spec.hostname, spec.port)));
  let slot: HandshakeSlot;
  try {
    ctx.signal?.throwIfAborted();
    slot = await ctx.gate.acquire(key, ctx.signal);
  } catch (error) {
    // Stopped before its turn: the early connection handed in is this function's to close.
    ctx.tcp?.destroy();
    throw error;
  }
  const started = performance.now();
  const client = new Client();
  let phase: "connect" | "banner" | "kex" | "auth" = "connect";
  let hostKeyProblem: string | undefined;
  let sawBanner = false;
  let tcpConnected = false;
  let sock: Duplex;
  // An early connection that failed or closed while this host waited for its slot has said so to
  // no one here: a new one gets the failure (refused, dropped) as it happens.
  const early = ctx.tcp && !ctx.tcp.destroyed ? ctx.tcp : undefined;
  if (!early) ctx.tcp?.destroy();
  try {
    sock = ctx.sock ?? early ?? (spec.proxyCommand !== undefined ? new ProxyCommand(spec.proxyCommand, { stderr: "capture", ownGroup: true }) : net.connect({ host: spec.hostname, port: spec.port }));
  } catch (error) {
    // A port out of range, an address Node refuses: nothing was opened.
    slot.release();
    throw new FleetError("dns", `Cannot connect to ${spec.hostname}:${spec.port}: ${(error as Error).message}`, "connect", "invalid address or port");
  }
  const proxy = sock instanceof ProxyCommand ? sock : undefined;
  return new Promise<HostConnection>((resolve, reject) => {
    let settled = false;
    const finish = (error: FleetError | null) => {
      if (settled) return;
      settled = true;
      // Through a proxy command, a connection that ends before the banner is the command's doing.
      const err = proxy && error && !sawBanner && (error.kind === "maxstartups" || error.kind === "refused") ? proxyEnded(proxy, error) : error;
      clearTimeout(deadline);
      clearTimeout(grace);
      ctx.signal?.removeEventListener("abort", onAbort);
      slot.release();
      if (err) {
        if (err.kind === "maxstartups") ctx.gate.dropped(key);
        client.removeAllListeners("ready");
        client.on("error", () => {});
        client.destroy();
        sock.destroy();
        reject(err);
      } else {
        ctx.gate.succeeded(key);
        resolve(new HostConnection(spec, client, performance.now() - started, proxy));
      }
    };
    const onDeadline = () => {
      // Time spent answering a prompt (a key's passphrase) is the user's, not the host's: the
      // deadline starts again once it is answered.
      const asking = ctx.credentials.asking;
      if (asking) {
        void asking.then(() => {
          if (!settled) deadline = setTimeout(onDeadline, spec.connectTimeout);
        });
        return;
      }
      if (!sawBanner) ctx.gate.timedOutWithoutBanner(key, started);
      finish(new FleetError("timeout", `connect timed out after ${formatDuration(spec.connectTimeout)} (${phase === "connect" ? "no TCP connection" : phase === "banner" ? "no SSH banner" : phase === "kex" ? "key exchange" : "authentication"})`, phase));
    };
    let deadline = setTimeout(onDeadline, spec.connectTimeout);
    // A host that accepts and says nothing (hung, or a tarpit) must not hold the server's slot.
    // Through a bastion the banner comes after the bastion's own handshake: its slot is held longer.
    const graceMs = Math.min(proxy && spec.proxyGroup !== undefined ? BASTION_GRACE_MS : BANNER_GRACE_MS, spec.connectTimeout);
    const grace = setTimeout(() => {
      if (!sawBanner) slot.release();
    }, graceMs);
    const onAbort = () => finish(new FleetError("killed", "interrupted", phase));
    ctx.signal?.addEventListener("abort", onAbort, { once: true });

    if (sock instanceof net.Socket) {
      sock.setNoDelay(true);
      coalesceWrites(sock);
      // An early connection may hold its banner already: it waits until ssh2 listens too (ssh2
      // resumes the socket once it does), or the banner would reach only the listener below.
      if (sock === early) sock.pause();
      if (sock.connecting) {
        sock.once("connect", () => {
          tcpConnected = true;
          phase = "banner";
        });
      } else {
        tcpConnected = true;
        phase = "banner";
      }
    } else {
      tcpConnected = true;
      phase = "banner";
    }
    // Lines before the version string are allowed (RFC 4253 §4.2), and sshd past its MaxStartups
    // writes one ("Exceeded MaxStartups") before closing: only "SSH-" is the banner.
    let preBanner = "";
    const onPreBanner = (chunk: Buffer) => {
      preBanner = (preBanner + chunk.toString("latin1")).slice(-1024);
      if (!/(?:^|\n)SSH-/.test(preBanner)) return;
      sawBanner = true;
      ctx.gate.answered(key);
      phase = "kex";
      sock.removeListener("data", onPreBanner);
    };
    sock.on("data", onPreBanner);
    sock.on("error", (err: NodeJS.ErrnoException) => finish(socketError(err, tcpConnected, sawBanner, spec)));
    sock.once("close", () => {
      if (!sawBanner) {
        finish(
          tcpConnected
            ? new FleetError("maxstartups", "connection closed before the SSH banner (the server is dropping new connections: MaxStartups?)", "banner")
            : new FleetError("refused", "connection closed", "connect"),
        );
      }
    });
    client.on("handshake", () => {
      phase = "auth";
    });
    client.on("ready", () => finish(null));
    client.on("error", (err: Error & { level?: string }) => {
      if (hostKeyProblem) return finish(new FleetError("hostkey", hostKeyProblem, "kex"));
      if (err.level === "client-authentication") {
        return finish(new FleetError("auth", `authentication failed for ${spec.username}@${spec.hostname}${authNotes.length ? ` (${authNotes.join("; ")})` : ""}`, "auth"));
      }
      if (err.level === "client-socket") return finish(socketError(err as NodeJS.ErrnoException, tcpConnected, sawBanner, spec));
      if (tcpConnected && !sawBanner) return finish(new FleetError("maxstartups", `connection closed before the SSH banner (the server is dropping new connections: MaxStartups?)${preBanner.includes("MaxStartups") ? `: ${preBanner.trim()}` : ""}`, "banner"));
      finish(new FleetError(sawBanner ? "channel" : "refused", err.message, phase));
    });
    client.on("close", () => {
      if (!settled) finish(sawBanner ? new FleetError("channel", `connection lost during ${phase}`, phase) : new FleetError("maxstartups", "connection closed before the SSH banner", "banner"));
    });

    const authNotes: string[] = [];
    const methods = authMethods(spec, ctx.credentials, authNotes);
    client.connect({
      sock,
      username: spec.username,
      readyTimeout: 0,
      keepaliveInterval: 0,
      algorithms: { kex: ["curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256", "diffie-hellman-group14-sha256"] },
      hostVerifier: (blob: Buffer) => {
        if (!ctx.knownHosts) return true;
        const lookupName = knownHostsName(spec.hostname, spec.port);
        const verdict = ctx.knownHosts.check(lookupName, blob);
        if (verdict === "known") return true;
        const accept = verdict === "unknown" && ctx.acceptNew;
        if (accept) ctx.knownHosts.accept(lookupName, blob);
        ctx.onHostKey({ host: spec.name, lookupName, keyType: keyTypeOf(blob), fingerprint: fingerprintOf(blob), verdict, accepted: accept, publicKey: `${keyTypeOf(blob)} ${blob.toString("base64")}` });
        if (!accept) hostKeyProblem = verdict === "changed" ? `host key CHANGED for ${lookupName}` : verdict === "revoked" ? `host key REVOKED for ${lookupName}` : `host key not in known_hosts for ${lookupName}`;
        return accept;
      },
      authHandler: (_left: string[] | null, _partial: boolean | null, next: (m: unknown) => void) => {
        methods.next().then(
          (r) => next(r.done ? false : r.value),
          () => next(false),
        );
      },
    } as Parameters<Client["connect"]>[0]);
    signPublickeyAtOnce(client);
    skipHostKeyProofs(client);
    preferCheapKexOnOpenSsh(client);
  });
}

/**
 * ssh2 writes every packet with its own write(); packets sent in one tick (exec request and EOF,
 * channel close and disconnect, NEWKEYS and the service request) go out in one syscall instead.
 * On a busy machine each loopback write wakes sshd and can cost this process its time slice.
 */
function coalesceWrites(sock: net.Socket): void {
  const write = sock.write;
  let corked = false;
  const uncork = () => {
    corked = false;
    sock.uncork();
  };
  sock.write = function (this: net.Socket, ...args: Parameters<net.Socket["write"]>): boolean {
    if (!corked) {
      corked = true;
      sock.cork();
      process.nextTick(uncork);
    }
    return write.apply(this, args);
  } as net.Socket["write"];
}

/**
 * Why a connection through a proxy command ended before the banner: the command failed (it could not
 * start, exited non-zero, was killed), or ended without reaching an sshd. When what it said is ssh's
 * `kex_exchange_identification`, the bastion dropped its connection (MaxStartups): that is shed and
 * retried as a direct drop is.
 */
function proxyEnded(proxy: ProxyCommand, error: FleetError): FleetError {
  if (/kex_exchange_identification|Exceeded MaxStartups/.test(proxy.stderr)) {
    return new FleetError("maxstartups", `ProxyCommand ${JSON.stringify(proxy.command)}: the bastion dropped the connection before its banner (MaxStartups?): ${proxy.stderr.trim().split("\n").pop()}`, "banner");
  }
  const failure = error.cause instanceof ProxyCommandFailure ? error.cause : undefined;
  if (failure) return new FleetError("refused", failure.message, "connect", `ProxyCommand ${failure.error.replace(/: .*$/, "")}`);
  return new FleetError("refused", `ProxyCommand ${JSON.stringify(proxy.command)} ended before the SSH banner`, "connect", "ProxyCommand ended");
}

function socketError(err: NodeJS.ErrnoException, tcpConnected: boolean, sawBanner: boolean, spec: ConnectSpec): FleetError {
  // The command could not start, or exited, or was killed (see proxyEnded).
  if (err instanceof ProxyCommandFailure) return new FleetError("refused", err.message, sawBanner ? "kex" : "connect", `ProxyCommand ${err.error.replace(/: .*$/, "")}`, { cause: err });
  const where = `${spec.hostname}:${spec.port}`;
  switch (err.code) {
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_NONAME":
      return new FleetError("dns", `cannot resolve ${spec.hostname}`, "connect");
    case "ECONNREFUSED":
      return new FleetError("refused", `connection refused by ${where}`, "connect");
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return new FleetError("refused", `no route to ${where}`, "connect");
    case "ETIMEDOUT":
      return new FleetError("timeout", `TCP connect to ${where} timed out`, "connect");
    case "ECONNRESET":
    case "EPIPE":
      if (tcpConnected && !sawBanner) return new FleetError("maxstartups", "connection reset before the SSH banner (the server is dropping new connections: MaxStartups?)", "banner");
      return new FleetError("channel", `connection reset by ${where}`, "kex");
    default:
      return new FleetError(tcpConnected ? "channel" : "refused", `${err.code ?? "error"}: ${err.message}`, tcpConnected ? "kex" : "connect");
  }
}

/** Auth methods in ssh's order: keys, agent, password. Each is prepared only when the previous failed. */
async function* authMethods(spec: ConnectSpec, creds: Credentials, notes: string[]): AsyncGenerator<object> {
  const files = spec.identityFiles.length > 0 ? spec.identityFiles : creds.defaultIdentityFiles();
  let tried = 0;
  for (const f of files) {
    const key: ParsedKey | { path: string; message: string } = await creds.key(f);
    if (isKeyProblem(key)) {
      notes.push(`${key.path}: ${key.message}`);
      continue;
    }
    tried++;
    yield { type: "publickey", username: spec.username, key };
  }
  const agent = creds.agent;
  if (agent) {
    tried++;
    yield { type: "agent", username: spec.username, agent };
  }
  let password: string | undefined;
  try {
    password = spec.passwordEnv || creds.hasPassword ? await creds.password(spec.passwordEnv) : undefined;
  } catch (error) {
    // The password could not be asked for (no terminal): the reason goes with the auth failure.
    notes.push((error as Error).message);
  }
  if (spec.passwordEnv && password === undefined) notes.push(`password_env ${spec.passwordEnv} is not set`);
  if (password !== undefined) {
    yield { type: "password", username: spec.username, password };
    yield { type: "keyboard-interactive", username: spec.username, prompt: (_n: string, _i: string, _l: string, prompts: unknown[], reply: (a: string[]) => void) => reply(prompts.map(() => password)) };
  } else if (tried === 0 && notes.length === 0) {
    // Said, or "authentication failed" would send the user looking at the server.
    notes.push("nothing to try: no key file found, no ssh-agent, no password (give identity_file, start an agent, or use --ask-pass or password_env)");
  }
}

export interface ExecOptions {
  /** Ask for a pseudo-terminal. */
  pty?: boolean | undefined;
  /** Bytes sent to the command's stdin, then EOF. Without it the command gets EOF at once. */
  input?: Buffer | undefined;
  /** Milliseconds for the command, from its start; undefined waits forever. */
  timeout?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Output as it arrives. A returned promise pauses that stream until it settles (backpressure). */
  onData?: ((stream: "stdout" | "stderr", chunk: Buffer) => void | Promise<void>) | undefined;
  /** Forwards this ssh-agent socket to the command (`ssh -A`). */
  forwardAgent?: string | undefined;
}

export interface ExecResult {
  status: number | null;
  signal?: string | undefined;
}

export class HostConnection {
  readonly spec: ConnectSpec;
  readonly #client: Client;
  #closed = false;
  /** Milliseconds the connection took to set up. */
  readonly connectMs: number;

  readonly #proxy: ProxyCommand | undefined;
  /** Commands asked for whose channel the server has not confirmed yet, or that are being stopped. */
  readonly #unsettled = new Set<Promise<void>>();

  /** The connection is not closed before `work` is done (see close). */
  #hold(work: Promise<void>): void {
    this.#unsettled.add(work);
    void work.then(() => this.#unsettled.delete(work));
  }

  /** Stops a command (see stopChannel). */
  #stop(ch: ClientChannel): void {
    this.#hold(stopChannel(ch));
  }

  constructor(spec: ConnectSpec, client: Client, connectMs: number, proxy?: ProxyCommand) {
    this.spec = spec;
    this.#client = client;
    this.connectMs = connectMs;
    this.#proxy = proxy;
    client.on("error", () => {});
    client.on("close", () => {
      this.#closed = true;
      // The command carried this connection only: it ends with it (and so does all it started).
      proxy?.destroy();
    });
  }

  /** Whether the connection can still carry a command. */
  get alive(): boolean {
    return !this.#closed;
  }

  /** Runs one command and resolves with its exit status; rejects FleetError (timeout, channel, killed). */
  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve, reject) => {
      let channel: ClientChannel | undefined;
      let exit: ExecResult | undefined;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const done = (err: FleetError | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.#client.removeListener("close", onConnClose);
        options.signal?.removeEventListener("abort", onAbort);
        if (err) {
          if (channel) this.#stop(channel);
          reject(err);
        } else resolve(exit ?? { status: null });
      };
      const onConnClose = () => done(new FleetError("channel", "connection lost before the command exited", "command"));
      const onAbort = () => done(new FleetError("killed", "interrupted", "command"));
      if (options.signal?.aborted) return onAbort();
      this.#client.on("close", onConnClose);
      options.signal?.addEventListener("abort", onAbort, { once: true });
      if (options.timeout !== undefined) {
        timer = setTimeout(() => done(new FleetError("timeout", `command timed out after ${formatDuration(options.timeout!)}`, "command")), options.timeout);
      }
      let started!: () => void;
      this.#hold(new Promise<void>((resolve) => (started = resolve)));
      try {
        if (options.forwardAgent !== undefined) enableAgentForwarding(this.#client, options.forwardAgent);
        this.#client.exec(command, { ...(options.pty ? { pty: true } : {}), ...(options.forwardAgent !== undefined ? { agentForward: true } : {}) }, (err, ch) => {
          started();
          if (err && isForwardingRefused(err)) return done(new FleetError("channel", "cannot start the command: the server refused agent forwarding (AllowAgentForwarding no?)", "command", "agent forwarding refused"));
          if (err) return done(new FleetError("channel", `cannot start the command: ${err.message}`, "command"));
          channel = ch;
          if (settled) return this.#stop(ch);
          const feed = (name: "stdout" | "stderr", stream: NodeJS.ReadableStream) => {
            stream.on("data", (chunk: Buffer) => {
              const r = options.onData?.(name, chunk);
              if (r) {
                stream.pause();
                r.then(() => stream.resume(), () => stream.resume());
              }
            });
          };
          feed("stdout", ch);
          feed("stderr", ch.stderr);
          ch.on("exit", (code: number | null, signal?: string) => {
            // The protocol names the signal bare (TERM); ssh2 hands it on as SIGTERM.
            exit = { status: typeof code === "number" ? code : null, signal: signal?.replace(/^SIG/, "") || undefined };
          });
          // ssh2 closes the channel once stdout has ended, while stderr may still hold data,
          // paused for a slow reader: the command is done when both are read to their end.
          let open = 2;
          const ended = () => {
            if (--open > 0) return;
            if (exit) done(null);
            else if (!this.#closed) done(new FleetError("channel", "the channel closed without an exit status", "command"));
          };
          ch.once("close", ended);
          ch.stderr.once("end", ended);
          if (options.input) ch.end(options.input);
          else ch.end();
        });
      } catch (err) {
        started();
        done(new FleetError("channel", (err as Error).message, "command"));
      }
    });
  }

  /** A direct-tcpip channel to `host:port` through this connection (the ProxyJump building block). */
  forwardOut(host: string, port: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      this.#client.forwardOut("127.0.0.1", 0, host, port, (err, stream) =>
        err ? reject(new FleetError("refused", `jump host ${this.spec.name} cannot reach ${host}:${port}: ${err.message}`, "connect")) : resolve(stream),
      );
    });
  }

  /** Opens an SFTP session whose requests all settle, even if the connection drops. */
  sftp(signal?: AbortSignal): Promise<SftpSession> {
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(new FleetError("channel", "cannot start SFTP: the connection is closed", "transfer", "connection lost"));
      const onClose = () => reject(new FleetError("channel", "connection lost while starting SFTP", "transfer", "connection lost"));
      this.#client.once("close", onClose);
      this.#client.sftp((err, sftp) => {
        this.#client.removeListener("close", onClose);
        if (err) reject(new FleetError("channel", `cannot start SFTP: ${err.message}`, "transfer"));
        else resolve(new SftpSession(sftp, (listener) => this.#onClose(listener), signal));
      });
    });
  }

  #onClose(listener: () => void): () => void {
    if (this.#closed) {
      queueMicrotask(listener);
      return () => {};
    }
    this.#client.once("close", listener);
    return () => this.#client.removeListener("close", listener);
  }

  /**
   * Round trip time of one global request (keepalive@openssh.com) on the open connection, in ms.
   * The first request after login is answered only once sshd has set up the session's process
   * (tens of ms): it is sent and awaited first, and the second one is timed.
   */
  async ping(timeout = 10_000): Promise<number> {
    await this.#roundTrip(timeout);
    const started = performance.now();
    await this.#roundTrip(timeout);
    return performance.now() - started;
  }

  async #roundTrip(timeout: number): Promise<void> {
    const internals = this.#client as unknown as { _callbacks?: ((err: boolean) => void)[]; _protocol?: { ping(): void } };
    if (Array.isArray(internals._callbacks) && typeof internals._protocol?.ping === "function") {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new FleetError("timeout", `ping timed out after ${formatDuration(timeout)}`, "command")), timeout);
        internals._callbacks!.push(() => {
          clearTimeout(t);
          resolve();
        });
        internals._protocol!.ping();
      });
    } else {
      await this.exec("true", { timeout });
    }
  }

  /** Closes the connection. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // A command stopped before the server said it started still starts there: the connection
    // stays until its channel is known and stopped (a disconnect alone leaves a command without a
    // pty running), for at most the grace below.
    if (this.#unsettled.size === 0) return this.#end();
    const wait = setTimeout(() => this.#end(), 1500);
    void (async () => {
      // A command confirmed meanwhile is being stopped: that is waited for too.
      while (this.#unsettled.size > 0) await Promise.all(this.#unsettled);
      clearTimeout(wait);
      this.#end();
    })();
  }

  #ended = false;

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#client.end();
    const c = this.#client;
    // A proxy command that does not exit when its input ends would hold the program open: it is
    // ended too, within the same grace.
    const proxy = this.#proxy;
    // (ssh2's destroy() leaves a socket alone once it has been ended: the proxy is ended here.)
    const grace = setTimeout(() => {
      c.destroy();
      proxy?.destroy();
    }, 1000);
    if (this.#proxy) c.once("close", () => clearTimeout(grace));
    else grace.unref();
  }
}

/** How long a stopped command has to exit after its TERM before it is sent again, and then before its channel is closed. */
const STOP_RESEND_MS = 150;

/**
 * Stops a remote command: a TERM signal where the server allows it, then the channel is closed.
 * sshd signals the command's process group, which exists only once the command's process has
 * started its session: a TERM that arrives just after the command was started can find none and
 * is lost (and a command without a pty outlives its channel). So unless the command exits at once,
 * the TERM is sent a second time before the channel is closed. Resolves once it is closed.
 */
function stopChannel(ch: ClientChannel): Promise<void> {
  const term = () => {
    try {
      // Not ch.signal(): ssh2 drops it after our EOF, which a command without --stdin has at once.
      sendSignal(ch, "TERM");
    } catch {
      /* the server may refuse signals; closing the channel is what counts */
    }
  };
  term();
  return new Promise((resolve) => {
    const timers: NodeJS.Timeout[] = [];
    const close = () => {
      for (const t of timers) clearTimeout(t);
      ch.removeListener("exit", close);
      ch.removeListener("close", close);
      try {
        ch.close();
      } catch {
        /* already closed */
      }
      resolve();
    };
    ch.once("exit", close);
    ch.once("close", close);
    timers.push(setTimeout(term, STOP_RESEND_MS), setTimeout(close, 2 * STOP_RESEND_MS));
  });
}
