/**
 * paramiko's `Transport`: one SSH connection (key exchange, host key, authentication, channels),
 * over one ssh2 `Client`. ssh2 runs authentication inside `connect()` through an `authHandler`
 * callback; here each `auth*` call feeds that callback one method and waits for its verdict, which
 * gives paramiko's step-by-step API (`startClient`, then `authPassword`, `authPublickey`…).
 */
import { lookup } from "node:dns/promises";
import net from "node:net";
import type { Duplex } from "node:stream";
import ssh2 from "ssh2";
import type { Algorithms, AnyAuthMethod, ClientChannel, ConnectConfig, NegotiatedAlgorithms, PseudoTtyOptions, SFTPWrapper } from "ssh2";
import { checkTimeout } from "../internal/options.js";
import { checkDisabledAlgorithms, checkHostname, checkPort, checkSock } from "./connect-options.js";
import { Agent } from "./agent.js";
import { enableAgentForwarding, isForwardingRefused } from "./agent-forwarding.js";
import { Channel, captureEnd, toChannelError } from "./channel.js";
import type { SessionOpener } from "./channel.js";
import { applyLimits, checkChannelLimits, openWithLimits } from "./channel-window.js";
import type { ChannelLimits } from "./channel-window.js";
import { AuthenticationError, BadAuthenticationType, BadHostKeyError, IncompatiblePeer, NoValidConnectionsError, SSHException, SSHTimeoutError } from "./errors.js";
import type { TimeoutPhase } from "./errors.js";
import { PKey } from "./pkey.js";
import { terminalPrompts, type InteractiveHandler } from "./terminal-prompts.js";
import { preferCheapKexOnOpenSsh, signPublickeyAtOnce, skipHostKeyProofs } from "./protocol-shortcuts.js";
import { withTimeout } from "./with-timeout.js";

const { Client } = ssh2;

/** Host key algorithms, in OpenSSH's order of preference. */
const HOST_KEY_ALGORITHMS = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-512",
  "rsa-sha2-256",
  "ssh-rsa",
];

/** Algorithms to leave out, by paramiko's category names (or ssh2's). */
export interface DisabledAlgorithms {
  ciphers?: string[];
  cipher?: string[];
  macs?: string[];
  hmac?: string[];
  keys?: string[];
  serverHostKey?: string[];
  kex?: string[];
  compress?: string[];
}

/** Gets each connection a remote port forward accepts: `origin` is its source, `server` the address it reached. */
export type PortForwardHandler = (channel: Channel, origin: [string, number], server: [string, number]) => void;

/** Where a transport connects: `[host, port]`, `"host:port"`, `{ sock }`, or an open stream or `direct-tcpip` Channel. */
export type TransportTarget = readonly [string, number] | string | { sock: Duplex | Channel } | Duplex | Channel;

/** Handshake options of a transport. */
export interface TransportOptions {
  /** TCP connect timeout (ms). */
  timeout?: number | undefined;
  /** Time from TCP connect to the server's SSH banner (ms). */
  bannerTimeout?: number | undefined;
  /** Time for the whole key exchange (ms). */
  handshakeTimeout?: number | undefined;
  /**
   * Time the server may take to answer each authentication request (ms; paramiko's `auth_timeout`).
   * Past it the call rejects `SSHTimeoutError` (phase `"auth"`) and the transport is closed: the
   * exchange cannot resume.
   */
  authTimeout?: number | undefined;
  /** Keepalive interval (ms); 0 or undefined disables it. */
  keepaliveInterval?: number | undefined;
  /** Keepalives unanswered before the connection is dropped (default 3). */
  keepaliveCountMax?: number | undefined;
  disabledAlgorithms?: DisabledAlgorithms | undefined;
  /** ssh2 algorithm lists, used as they are (shoal's defaults otherwise). */
  algorithms?: Algorithms | undefined;
  /** Host key algorithms to prefer (the types known_hosts holds for the host). */
  preferredHostKeyTypes?: string[] | undefined;
  /** Offers zlib compression. */
  compress?: boolean | undefined;
  /** Called with the server's key during the handshake: throw (or reject) to refuse it. */
  hostKeyVerifier?: ((key: PKey) => void | Promise<void>) | undefined;
  /** The host name used in error messages. */
  hostname?: string | undefined;
  /** ssh2 debug output. */
  debug?: ((message: string) => void) | undefined;
}

/** The result of one authentication attempt, as ssh2 reports it. */
type AuthVerdict = { ok: true } | { ok: false; allowed: string[]; partial: boolean };

type AuthCallback = (next: AnyAuthMethod | false) => void;

export class Transport implements SessionOpener {
  readonly #target: TransportTarget;
  readonly #client = new Client();
  #options: TransportOptions = {};
  #sock: Duplex | undefined;
  #started: Promise<void> | undefined;
  #authCallback: AuthCallback | undefined;
  #authWaiter: { resolve(v: AuthVerdict): void; reject(e: Error): void } | undefined;
  #firstAuthCall: { resolve(): void; reject(e: Error): void } | undefined;
  #authenticated = false;
  #active = false;
  #closed = false;
  #fatal: Error | undefined;
  #hostKeyError: Error | undefined;
  #serverKey: PKey | undefined;
  #negotiated: NegotiatedAlgorithms | undefined;
  #allowed: string[] = [];
  #username: string | undefined;
  #banner: string | undefined;
  #keepalive: ReturnType<typeof setInterval> | undefined;
  #forwardHandlers = new Map<string, PortForwardHandler>();
  #closedPromise: Promise<void>;

  constructor(target: TransportTarget, options: TransportOptions = {}) {
    checkTarget(target);
    this.#target = target;
    this.#options = options;
    this.#closedPromise = new Promise((resolve) => this.#client.once("close", () => resolve()));
    this.#client.on("close", () => this.#onClose());
    this.#client.on("error", (error: Error) => this.#onError(error));
    this.#client.on("banner", (message: string) => (this.#banner = message));
    this.#client.on("handshake", (negotiated: NegotiatedAlgorithms) => (this.#negotiated = negotiated));
    this.#client.on("ready", () => {
      this.#authenticated = true;
      const waiter = this.#authWaiter;
      this.#authWaiter = undefined;
      waiter?.resolve({ ok: true });
    });
    this.#client.on("tcp connection", (details, accept, reject) => {
      const handler = this.#forwardHandlers.get(`${details.destIP}:${details.destPort}`) ?? this.#forwardHandlers.get(`*:${details.destPort}`);
      if (!handler) return reject();
      handler(new Channel(this).adopt(accept()), [details.srcIP, details.srcPort], [details.destIP, details.destPort]);
    });
  }

  /** The ssh2 client underneath (for what shoal does not wrap). */
  get client(): InstanceType<typeof Client> {
    return this.#client;
  }

  /**
   * paramiko's `use_compression`: offers zlib compression (`zlib@openssh.com`, then `zlib`) in the
   * key exchange, as the `compress` option does. Only before `startClient()`/`connect()`.
   */
  useCompression(compress = true): void {
    if (this.#started) throw new SSHException("Transport.useCompression: the key exchange has already started; call it before startClient() or connect()");
    this.#options = { ...this.#options, compress: Boolean(compress) };
  }

  /** Connects, exchanges keys and checks the host key; authentication comes next. */
  startClient(options: TransportOptions = {}): Promise<void> {
    if (this.#started) return this.#started;
    this.#options = { ...this.#options, ...options };
    return (this.#started = this.#start());
  }

  async #start(): Promise<void> {
    const options = this.#options;
    const host = options.hostname ?? this.#describeTarget();
    // Checked before any I/O: a bad option must not leave a socket open behind a rejected call.
    const bannerTimeout = checkTimeout(options.bannerTimeout, "Transport: bannerTimeout");
    checkTimeout(options.authTimeout, "Transport: authTimeout");
    const handshakeTimeout = checkTimeout(options.handshakeTimeout, "Transport: handshakeTimeout");
    checkTimeout(options.keepaliveInterval, "Transport: keepaliveInterval");
    checkDisabledAlgorithms(options.disabledAlgorithms, "Transport: disabledAlgorithms");
    const sock = await this.#openSocket(host);
    this.#sock = sock;

    const firstAuth = new Promise<void>((resolve, reject) => (this.#firstAuthCall = { resolve, reject }));
    const cleanups: Array<() => void> = [];
    const expire = (phase: TimeoutPhase, ms: number) => {
      const error = new SSHTimeoutError(phase, ms, host);
      this.#fail(error);
      sock.destroy();
    };
    if (bannerTimeout !== undefined) {
      const timer = setTimeout(() => expire("banner", bannerTimeout), bannerTimeout);
      const onData = () => clearTimeout(timer);
      sock.once("data", onData);
      cleanups.push(() => {
        clearTimeout(timer);
        sock.off("data", onData);
      });
    }
    if (handshakeTimeout !== undefined) {
      const timer = setTimeout(() => expire("handshake", handshakeTimeout), handshakeTimeout);
      cleanups.push(() => clearTimeout(timer));
    }

    const config: ConnectConfig = {
      sock: sock as unknown as ConnectConfig["sock"],
      username: "",
      readyTimeout: 0,
      authHandler: ((methodsLeft: string[] | null, partial: boolean | null, callback: AuthCallback) => this.#onAuthStep(methodsLeft, partial, callback)) as unknown as ConnectConfig["authHandler"],
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        this.#verifyHostKey(key).then(
          () => verify(true),
          (error: Error) => {
            this.#hostKeyError = error;
            verify(false);
          },
        );
      },
      algorithms: this.#algorithms(),
      keepaliveInterval: options.keepaliveInterval ?? 0,
      keepaliveCountMax: options.keepaliveCountMax ?? 3,
    } as ConnectConfig;
    if (options.debug) config.debug = options.debug;
    this.#active = true;
    try {
      this.#client.connect(config);
      signPublickeyAtOnce(this.#client);
      skipHostKeyProofs(this.#client);
      // A kex list the caller chose keeps the caller's order.
      if (options.algorithms?.kex === undefined) preferCheapKexOnOpenSsh(this.#client);
      await firstAuth;
    } finally {
      for (const cleanup of cleanups) cleanup();
    }
  }

  async #openSocket(host: string): Promise<Duplex> {
    const target = this.#target;
    if (typeof target === "object" && !Array.isArray(target)) {
      const sock = "sock" in (target as object) && !("pipe" in (target as object)) ? (target as { sock: Duplex | Channel }).sock : (target as Duplex | Channel);
      return sock instanceof Channel ? sock.stream! : sock;
    }
    const [hostname, port] = parseAddress(target as readonly [string, number] | string);
    const timeout = checkTimeout(this.#options.timeout, "Transport: timeout");
    // Every address of the name, in order, as paramiko does: an address refused or unreachable
    // moves on to the next, and when none is left the error lists each (even for one address);
    // any other error (a timeout) is thrown as it is.
    const addresses = net.isIP(hostname) ? [hostname] : (await lookup(hostname, { all: true })).map((entry) => entry.address);
    const errors = new Map<string, Error>();
    for (const address of addresses) {
      try {
        return await connectSocket(address, port, timeout, host);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== "ECONNREFUSED" && code !== "EHOSTUNREACH") throw error;
        errors.set(`${address}:${port}`, error as Error);
      }
    }
    throw new NoValidConnectionsError(errors);
  }

  #describeTarget(): string {
    const target = this.#target;
    if (typeof target === "string") return target;
    if (Array.isArray(target)) return `${target[0]}:${target[1]}`;
    return "(socket)";
  }

  #algorithms(): Algorithms {
    const options = this.#options;
    const algorithms: Algorithms = { ...options.algorithms };
    if (options.compress && !algorithms.compress) algorithms.compress = ["zlib@openssh.com", "zlib", "none"];
    if (options.preferredHostKeyTypes?.length && !algorithms.serverHostKey) {
      // As OpenSSH: offer first the key types known_hosts holds for this host, so the server
      // presents a key we can check rather than another of its keys.
      const known = options.preferredHostKeyTypes.flatMap((type) => (type === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [type]));
      const preferred = HOST_KEY_ALGORITHMS.filter((name) => known.includes(name));
      if (preferred.length > 0) algorithms.serverHostKey = [...preferred, ...HOST_KEY_ALGORITHMS.filter((name) => !preferred.includes(name))] as Algorithms["serverHostKey"];
    }
    const disabled = options.disabledAlgorithms;
    if (disabled) {
      const remove = (key: keyof Algorithms, names: string[] | undefined) => {
        if (!names?.length) return;
        const current = algorithms[key];
        if (current && !Array.isArray(current)) {
          const list = current as { remove?: string[] };
          list.remove = [...(list.remove ?? []), ...names];
        } else if (Array.isArray(current)) {
          (algorithms as Record<string, unknown>)[key] = (current as string[]).filter((name) => !names.includes(name));
        } else {
          (algorithms as Record<string, unknown>)[key] = { remove: names };
        }
      };
      remove("cipher", [...(disabled.ciphers ?? []), ...(disabled.cipher ?? [])]);
      remove("hmac", [...(disabled.macs ?? []), ...(disabled.hmac ?? [])]);
      remove("serverHostKey", [...(disabled.keys ?? []), ...(disabled.serverHostKey ?? [])]);
      remove("kex", disabled.kex);
      remove("compress", disabled.compress);
    }
    return algorithms;
  }

  async #verifyHostKey(blob: Buffer): Promise<void> {
    const key = PKey.fromTypeString(blob.subarray(4, 4 + blob.readUInt32BE(0)).toString(), blob);
    this.#serverKey = key;
    await this.#options.hostKeyVerifier?.(key);
  }

  #onAuthStep(methodsLeft: string[] | null, partial: boolean | null, callback: AuthCallback): void {
    this.#authCallback = callback;
    if (methodsLeft) this.#allowed = methodsLeft;
    const first = this.#firstAuthCall;
    if (first) {
      this.#firstAuthCall = undefined;
      first.resolve();
      return;
    }
    const waiter = this.#authWaiter;
    this.#authWaiter = undefined;
    waiter?.resolve({ ok: false, allowed: methodsLeft ?? [], partial: partial === true });
  }

  #onError(error: Error & { level?: string }): void {
    if (error.level === "client-authentication" && this.#authWaiter) {
      // A key that cannot sign: ssh2 moves on to the next auth step by itself.
      return;
    }
    let wrapped: Error = error;
    if (this.#hostKeyError && /verif/i.test(error.message)) wrapped = this.#hostKeyError;
    else if (/no matching|handshake failed/i.test(error.message)) wrapped = new IncompatiblePeer(error.message, { cause: error });
    this.#fail(wrapped);
  }

  #fail(error: Error): void {
    this.#fatal ??= error;
    const first = this.#firstAuthCall;
    this.#firstAuthCall = undefined;
    first?.reject(this.#fatal);
    const waiter = this.#authWaiter;
    this.#authWaiter = undefined;
    waiter?.reject(this.#fatal);
  }

  #onClose(): void {
    this.#active = false;
    this.#closed = true;
    if (this.#keepalive) clearInterval(this.#keepalive);
    this.#fail(this.#hostKeyError ?? new SSHException(`Connection to ${this.#options.hostname ?? this.#describeTarget()} closed`));
  }

  /** Starts the connection if needed, authenticates, and checks `hostkey` when given (paramiko's `connect`). */
  async connect(
    options: { username?: string; password?: string; pkey?: PKey; hostkey?: PKey; timeout?: number } & TransportOptions = {},
  ): Promise<void> {
    const { username = defaultUser(), password, pkey, hostkey } = options;
    if (hostkey) {
      const verifier = options.hostKeyVerifier;
      options.hostKeyVerifier = async (key) => {
        if (!key.equals(hostkey)) throw new BadHostKeyError(options.hostname ?? this.#describeTarget(), key, hostkey);
        await verifier?.(key);
      };
    }
    await this.startClient(options);
    if (pkey) await this.authPublickey(username, pkey);
    else if (password !== undefined) await this.authPassword(username, password);
  }

  /** One authentication attempt: resolves `[]` on success, or the methods left after partial success. */
  async #auth(method: string, next: AnyAuthMethod): Promise<string[]> {
    if (!this.#started) throw new SSHException(`Cannot authenticate: call startClient() first`);
    await this.#started;
    if (this.#authenticated) return [];
    if (this.#fatal) throw this.#fatal;
    const callback = this.#authCallback;
    if (!callback) throw new SSHException("Cannot authenticate: another attempt is in progress");
    const authTimeout = checkTimeout(this.#options.authTimeout, "Transport: authTimeout");
    this.#authCallback = undefined;
    this.#username = next.username;
    const answered = new Promise<AuthVerdict>((resolve, reject) => {
      this.#authWaiter = { resolve, reject };
      callback(next);
    });
    let verdict: AuthVerdict;
    try {
      verdict = await this.#withTimeout("auth", authTimeout, answered);
    } catch (error) {
      if (error instanceof SSHTimeoutError) await this.close();
      throw error;
    }
    if (verdict.ok) return [];
    if (verdict.partial) return verdict.allowed;
    const details = { username: next.username, methodsTried: [method], allowedMethods: verdict.allowed, host: this.#options.hostname };
    const message = `Authentication (${method}) failed for ${next.username}${details.host ? `@${details.host}` : ""}; the server allows: ${verdict.allowed.join(", ") || "nothing"}`;
    const wireName = method === "agent" ? "publickey" : method;
    if (verdict.allowed.length > 0 && !verdict.allowed.includes(wireName)) throw new BadAuthenticationType(message, details);
    throw new AuthenticationError(message, details);
  }

  /** `"none"` authentication: usually fails, telling which methods the server allows. */
  async authNone(username: string): Promise<string[]> {
    return this.#auth("none", { type: "none", username });
  }

  authPassword(username: string, password: string): Promise<string[]> {
    return this.#auth("password", { type: "password", username, password });
  }

  authPublickey(username: string, key: PKey): Promise<string[]> {
    return this.#auth("publickey", { type: "publickey", username, key: key.parsed });
  }

  /** Authenticates with the keys of an ssh-agent (every key it holds, in turn). */
  authAgent(username: string, agent: Agent = new Agent()): Promise<string[]> {
    return this.#auth("agent", { type: "agent", username, agent: agent.ssh2Agent });
  }

  /** keyboard-interactive: `handler(title, instructions, prompts)` returns one answer per prompt. */
  authInteractive(username: string, handler: InteractiveHandler): Promise<string[]> {
    return this.#auth("keyboard-interactive", {
      type: "keyboard-interactive",
      username,
      prompt: (name: string, instructions: string, _lang: string, prompts: Array<{ prompt: string; echo?: boolean }>, finish: (answers: string[]) => void) => {
        Promise.resolve(handler(name, instructions, prompts.map((p) => ({ prompt: p.prompt, echo: p.echo === true })))).then(finish, () => finish([]));
      },
    });
  }

  /**
   * paramiko's `auth_interactive_dumb`: keyboard-interactive where, without a `handler`, the
   * server's title, instructions and prompts are printed on stdout and each answer is a line read
   * from stdin (echoed, as paramiko's).
   */
  authInteractiveDumb(username: string, handler: InteractiveHandler = terminalPrompts()): Promise<string[]> {
    return this.authInteractive(username, handler);
  }

  /** keyboard-interactive answering every prompt with the password. */
  authInteractivePassword(username: string, password: string): Promise<string[]> {
    return this.authInteractive(username, (_title, _instructions, prompts) => prompts.map(() => password));
  }

  /** The methods the server said it accepts (after a failed or partial attempt). */
  get allowedAuthMethods(): string[] {
    return [...this.#allowed];
  }

  isActive(): boolean {
    return this.#active && !this.#closed;
  }

  isAuthenticated(): boolean {
    return this.#authenticated && this.isActive();
  }

  getUsername(): string | undefined {
    return this.#username;
  }

  /** The server's pre-auth banner, if it sent one. */
  getBanner(): string | undefined {
    return this.#banner;
  }

  /** The host key the server presented. */
  getRemoteServerKey(): PKey {
    if (!this.#serverKey) throw new SSHException("Cannot get the server key: no handshake yet");
    return this.#serverKey;
  }

  /** The negotiated algorithms (kex, host key, cipher, MAC, compression). */
  getSecurityOptions(): NegotiatedAlgorithms | undefined {
    return this.#negotiated;
  }

  /** `[address, port]` of the peer, when connected over TCP. */
  getpeername(): [string, number] | undefined {
    const sock = this.#sock;
    if (sock instanceof net.Socket && sock.remoteAddress) return [sock.remoteAddress, sock.remotePort ?? 0];
    return undefined;
  }

  /**
   * Sends a keepalive every `ms` (0 stops them); after `countMax` unanswered in a row the peer is
   * taken for dead and the connection is dropped (as OpenSSH's `ServerAliveCountMax`).
   */
  setKeepalive(ms: number, countMax: number = this.#options.keepaliveCountMax ?? 3): void {
    checkTimeout(ms, "Transport.setKeepalive: interval");
    if (this.#keepalive) clearInterval(this.#keepalive);
    this.#keepalive = undefined;
    if (ms === 0) return;
    // ssh2 pairs each global-request reply with the oldest queued callback: a ping must queue one
    // too, or its reply would be taken as the answer to a pending forwardIn.
    const client = this.#client as unknown as { _protocol?: { ping(): void }; _callbacks?: Array<() => void> };
    let unanswered = 0;
    this.#keepalive = setInterval(() => {
      if (!this.isActive() || !client._protocol || !client._callbacks) return;
      if (++unanswered > countMax) {
        clearInterval(this.#keepalive);
        this.#fail(new SSHException(`Keepalive timeout: ${this.#options.hostname ?? this.#describeTarget()} left ${countMax} keepalives unanswered`));
        this.#sock?.destroy();
        return;
      }
      client._callbacks.push(() => (unanswered = 0));
      client._protocol.ping();
    }, ms);
    this.#keepalive.unref();
  }

  /** Re-keys the connection. */
  renegotiateKeys(): Promise<void> {
    // ssh2's Client has no rekey(); its protocol object does, and the 'handshake' event marks the end.
    const protocol = (this.#client as unknown as { _protocol?: { rekey(): void } })._protocol;
    if (!protocol || !this.isActive()) return Promise.reject(new SSHException("Cannot renegotiate keys: the transport is not connected"));
    return new Promise((resolve) => {
      this.#client.once("handshake", () => resolve());
      protocol.rekey();
    });
  }

  /**
   * A session channel; its request (exec, shell, subsystem) opens it. `windowSize` (from 2 MiB up)
   * and `maxPacketSize` (up to 32768) are paramiko's `window_size` and `max_packet_size`.
   */
  async openSession(options: { timeout?: number } & ChannelLimits = {}): Promise<Channel> {
    checkChannelLimits(options, "Transport.openSession");
    this.#checkAuthenticated("openSession");
    return new Channel(this, options);
  }

  /**
   * `"direct-tcpip"`: a channel to `destAddr` through the server (paramiko's `open_channel`): `send`
   * and `recv` on it, or hand it as `sock` to the next hop's `Transport` or `SSHClient.connect` (the
   * ProxyJump building block). Its `stream` is the duplex stream itself.
   */
  async openChannel(
    kind: "direct-tcpip",
    destAddr: readonly [string, number],
    srcAddr: readonly [string, number] = ["127.0.0.1", 0],
    options: { timeout?: number } = {},
  ): Promise<Channel> {
    if (kind !== "direct-tcpip") throw new TypeError(`Transport.openChannel: only "direct-tcpip" is supported: got ${JSON.stringify(kind)}`);
    this.#checkAuthenticated("openChannel");
    const stream = await this.#withTimeout(
      "channel",
      options.timeout,
      new Promise<ClientChannel>((resolve, reject) => {
        this.#client.forwardOut(srcAddr[0], srcAddr[1], destAddr[0], destAddr[1], (error, channel) =>
          error ? reject(toChannelError(error)) : resolve(channel),
        );
      }),
    );
    return new Channel(this).adopt(stream);
  }

  /**
   * Asks the server to listen on `address:port` and hand each connection to `handler` (as paramiko's
   * `request_port_forward`: the channel, where it came from, and the address it reached); resolves
   * the port. Without a handler, connections are closed.
   */
  requestPortForward(address: string, port: number, handler?: PortForwardHandler): Promise<number> {
    this.#checkAuthenticated("requestPortForward");
    return new Promise((resolve, reject) => {
      this.#client.forwardIn(address, port, (error, bound) => {
        if (error) return reject(new SSHException(`Cannot forward ${address}:${port}: ${error.message}`, { cause: error }));
        const actual = port === 0 ? bound : port;
        this.#forwardHandlers.set(`${address}:${actual}`, handler ?? ((channel) => void channel.close()));
        resolve(actual);
      });
    });
  }

  cancelPortForward(address: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#client.unforwardIn(address, port, (error) => {
        this.#forwardHandlers.delete(`${address}:${port}`);
        if (error) reject(new SSHException(`Cannot cancel forward ${address}:${port}: ${error.message}`, { cause: error }));
        else resolve();
      });
    });
  }

  /** @internal Opens a session channel with its request. */
  openRequest(
    kind: "exec" | "shell" | "subsystem",
    argument: string,
    options: { env: Record<string, string> | undefined; pty: PseudoTtyOptions | undefined; timeout: number | undefined; agent?: Agent | undefined; limits?: ChannelLimits | undefined },
  ): Promise<ClientChannel> {
    this.#checkAuthenticated(kind);
    const limits = options.limits ?? {};
    if (options.agent !== undefined) {
      try {
        enableAgentForwarding(this.#client, options.agent.ssh2Agent);
      } catch (error) {
        throw new SSHException((error as Error).message);
      }
    }
    const opened = new Promise<ClientChannel>((resolve, reject) => {
      const done = (error: Error | undefined, channel: ClientChannel) => {
        if (error) return reject(isForwardingRefused(error) ? new SSHException(`${error.message}: the server refused it (AllowAgentForwarding?)`) : toChannelError(error));
        applyLimits(channel, limits);
        captureEnd(channel);
        resolve(channel);
      };
      const requestOptions: { env?: Record<string, string>; pty?: PseudoTtyOptions; agentForward?: boolean } = {};
      if (options.env) requestOptions.env = options.env;
      if (options.pty) requestOptions.pty = options.pty;
      if (options.agent) requestOptions.agentForward = true;
      openWithLimits(this.#client, limits, () => {
        if (kind === "exec") this.#client.exec(argument, requestOptions, done);
        else if (kind === "shell") this.#client.shell(options.pty ?? false, { ...(options.env ? { env: options.env } : {}), ...(options.agent ? { agentForward: true } : {}) }, done);
        else this.#client.subsys(argument, done);
      });
    });
    return this.#withTimeout("channel", options.timeout, opened);
  }

  /** @internal Opens the SFTP subsystem. */
  openSftpChannel(timeout?: number, limits: ChannelLimits = {}): Promise<SFTPWrapper> {
    this.#checkAuthenticated("openSftp");
    return this.#withTimeout(
      "channel",
      timeout,
      new Promise<SFTPWrapper>((resolve, reject) => {
        openWithLimits(this.#client, limits, () =>
          this.#client.sftp((error, sftp) => {
            if (error) return reject(toChannelError(error));
            applyLimits(sftp, limits);
            resolve(sftp);
          }),
        );
      }),
    );
  }

  /** An SFTP session on this transport (paramiko's `open_sftp_client`). */
  async openSftpClient(): Promise<import("./sftp-client.js").SFTPClient> {
    const { SFTPClient } = await import("./sftp-client.js");
    return SFTPClient.fromTransport(this);
  }

  /** Closes the connection and every channel on it. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#keepalive) clearInterval(this.#keepalive);
    if (!this.#active) {
      // ssh2 never started (or a check failed first): there is no close event to wait for.
      this.#sock?.destroy();
      this.#closed = true;
      return;
    }
    if (!this.#closed) {
      this.#client.end();
      const sock = this.#sock;
      // A stuck peer must not hold close() forever: destroy the socket after a grace period.
      const timer = setTimeout(() => sock?.destroy(), 1000);
      await this.#closedPromise;
      clearTimeout(timer);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** @internal Resolves when the connection has closed. */
  get closedPromise(): Promise<void> {
    return this.#closedPromise;
  }

  #checkAuthenticated(where: string): void {
    if (this.#fatal && !this.isActive()) throw new SSHException(`Cannot ${where}: the connection is closed (${this.#fatal.message})`);
    if (!this.isActive()) throw new SSHException(`Cannot ${where}: the transport is not connected`);
    if (!this.#authenticated) throw new SSHException(`Cannot ${where}: the transport is not authenticated`);
  }

  #withTimeout<T>(phase: TimeoutPhase, timeout: number | undefined, promise: Promise<T>): Promise<T> {
    return withTimeout(promise, timeout, phase, this.#options.hostname);
  }
}

function connectSocket(address: string, port: number, timeout: number | undefined, host: string): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect({ host: address, port, noDelay: true });
    const timer =
      timeout === undefined
        ? undefined
        : setTimeout(() => {
            socket.destroy();
            reject(new SSHTimeoutError("connect", timeout, host));
          }, timeout);
    const onError = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    socket.once("error", onError);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.off("error", onError);
      resolve(socket);
    });
  });
}

function checkTarget(target: TransportTarget): void {
  if (typeof target === "string") {
    const [host, port] = parseAddress(target);
    checkHostname(host, "Transport: host");
    checkPort(port, `Transport: port of ${JSON.stringify(target)}`);
  } else if (Array.isArray(target)) {
    checkHostname(target[0], "Transport: host");
    checkPort(target[1], "Transport: port");
  } else if (typeof target === "object" && target !== null && "sock" in target && !("pipe" in target)) {
    checkSock((target as { sock: unknown }).sock, "Transport: sock");
  } else {
    checkSock(target, "Transport: target");
  }
}

function parseAddress(target: readonly [string, number] | string): [string, number] {
  if (typeof target !== "string") return [target[0], target[1]];
  const bracketed = /^\[(.*)\]:(\d+)$/.exec(target);
  if (bracketed) return [bracketed[1]!, Number(bracketed[2])];
  const colon = target.lastIndexOf(":");
  if (colon > 0 && target.indexOf(":") === colon) return [target.slice(0, colon), Number(target.slice(colon + 1))];
  return [target, 22];
}

/** The local user name, as paramiko's default `username`. */
export function defaultUser(): string {
  return process.env["USER"] ?? process.env["LOGNAME"] ?? "root";
}
