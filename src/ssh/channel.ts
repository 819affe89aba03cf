/**
 * paramiko's `Channel`: one session on a transport. ssh2 opens a session and sends its request
 * (exec, shell, subsystem) in one call, so a `Channel` from `openSession()` collects its settings
 * (pty, environment) and opens on the request, which is also when an open failure surfaces.
 */
import type { ClientChannel, PseudoTtyOptions } from "ssh2";
import { Agent } from "./agent.js";
import { ChannelFile, ChannelStdinFile } from "./channel-file.js";
import { ChannelException, SSHException, SSHTimeoutError } from "./errors.js";
import type { ChannelLimits } from "./channel-window.js";
import { sendSignal } from "./remote-signal.js";
import { checkSignal, checkTimeout } from "../internal/options.js";

/** pty settings, with paramiko's names. */
export interface PtyOptions {
  term?: string;
  width?: number;
  height?: number;
  widthPixels?: number;
  heightPixels?: number;
}

/** What a channel needs of its transport: opening the session with a request. */
export interface SessionOpener {
  openRequest(
    kind: "exec" | "shell" | "subsystem",
    argument: string,
    options: { env: Record<string, string> | undefined; pty: PseudoTtyOptions | undefined; timeout: number | undefined; agent?: Agent | undefined; limits?: ChannelLimits | undefined },
  ): Promise<ClientChannel>;
}

/** How a command ended. */
export interface ExitInfo {
  /** The exit status; -1 when the server sent none (killed by a signal, or the channel closed). */
  exitStatus: number;
  /** The signal name without `SIG` (`"TERM"`), or null. */
  exitSignal: string | null;
}

export class Channel {
  readonly #opener: SessionOpener;
  #stream: ClientChannel | undefined;
  #env: Record<string, string> | undefined;
  #pty: PseudoTtyOptions | undefined;
  #agent: Agent | undefined;
  #timeout: number | null = null;
  #openTimeout: number | undefined;
  readonly #limits: ChannelLimits;
  #combineStderr = false;
  #exit: ExitInfo | undefined;
  #closed = false;
  #exitWaiters: Array<(info: ExitInfo) => void> = [];
  #stdout: ChannelFile<Channel> | undefined;
  #stderr: ChannelFile<Channel> | undefined;
  #stdin: ChannelStdinFile<Channel> | undefined;

  /** @internal Made by `Transport.openSession()`. */
  constructor(opener: SessionOpener, options: { timeout?: number | undefined } & ChannelLimits = {}) {
    this.#opener = opener;
    this.#openTimeout = options.timeout;
    this.#limits = { windowSize: options.windowSize, maxPacketSize: options.maxPacketSize };
  }

  /** Requests a pseudo-terminal for the command or shell to come. */
  async getPty(options: PtyOptions = {}): Promise<void> {
    this.#checkUnopened("getPty");
    this.#pty = {
      term: options.term ?? "vt100",
      cols: options.width ?? 80,
      rows: options.height ?? 24,
      width: options.widthPixels ?? 0,
      height: options.heightPixels ?? 0,
    };
  }

  /**
   * Forwards an ssh-agent to the command or shell to come (paramiko's `request_forward_agent`,
   * `ssh -A`): there, `SSH_AUTH_SOCK` reaches `agent` (default: this machine's `SSH_AUTH_SOCK`),
   * which signs for programs on the server without its keys leaving it. Only for servers you trust:
   * their root can use the agent while the connection lasts. The request is refused with
   * `SSHException` when the server does not allow forwarding (`AllowAgentForwarding no`).
   */
  async requestForwardAgent(agent: Agent | string | undefined = undefined): Promise<void> {
    this.#checkUnopened("requestForwardAgent");
    const chosen = agent instanceof Agent ? agent : new Agent(agent ?? process.env["SSH_AUTH_SOCK"]);
    if (!chosen.available) throw new SSHException("Cannot forward the agent: SSH_AUTH_SOCK is not set and no agent was given");
    this.#agent = chosen;
  }

  /** Changes the pty size of an open channel. */
  resizePty(options: PtyOptions = {}): void {
    this.#open("resizePty").setWindow(options.height ?? 24, options.width ?? 80, options.heightPixels ?? 0, options.widthPixels ?? 0);
  }

  /** Sets environment variables for the command (the server may refuse them: sshd's `AcceptEnv`). */
  updateEnvironment(environment: Record<string, string>): void {
    this.#checkUnopened("updateEnvironment");
    this.#env = { ...this.#env, ...environment };
  }

  setEnvironmentVariable(name: string, value: string): void {
    this.updateEnvironment({ [name]: value });
  }

  /** Runs a command on this session. */
  async execCommand(command: string): Promise<void> {
    await this.#request("exec", command);
  }

  /** Starts a shell on this session. */
  async invokeShell(): Promise<void> {
    await this.#request("shell", "");
  }

  /** Starts a subsystem (`"sftp"`) on this session. */
  async invokeSubsystem(name: string): Promise<void> {
    await this.#request("subsystem", name);
  }

  /** @internal Adopts an already open ssh2 channel. */
  adopt(stream: ClientChannel): this {
    this.#stream = stream;
    const record = captureEnd(stream);
    const onEnd = () => {
      if (record.exit) this.#setExit(record.exit);
      if (record.closed) {
        this.#closed = true;
        this.#setExit({ exitStatus: -1, exitSignal: null });
      }
    };
    record.listeners.push(onEnd);
    onEnd();
    if (this.#combineStderr) this.#pipeStderr();
    return this;
  }

  async #request(kind: "exec" | "shell" | "subsystem", argument: string): Promise<void> {
    this.#checkUnopened(kind);
    const stream = await this.#opener.openRequest(kind, argument, { env: this.#env, pty: this.#pty, timeout: this.#openTimeout, agent: this.#agent, limits: this.#limits });
    this.adopt(stream);
  }

  /** Merges stderr into stdout. */
  setCombineStderr(combine: boolean): void {
    const was = this.#combineStderr;
    this.#combineStderr = combine;
    if (combine && !was && this.#stream) this.#pipeStderr();
  }

  #pipeStderr(): void {
    const stream = this.#stream!;
    stream.stderr.on("data", (chunk: Buffer) => {
      if (this.#combineStderr) stream.push(chunk);
    });
  }

  /** Read timeout in milliseconds for `recv` and the channel files; null waits forever. */
  settimeout(timeout: number | null): void {
    if (timeout !== null && (typeof timeout !== "number" || timeout < 0)) throw new RangeError(`Channel.settimeout: timeout must be >= 0: got ${timeout}`);
    this.#timeout = timeout;
  }

  gettimeout(): number | null {
    return this.#timeout;
  }

  /** `false` maps to `settimeout(0)`, as in paramiko. */
  setblocking(blocking: boolean): void {
    this.settimeout(blocking ? null : 0);
  }

  /** Up to `n` bytes of stdout; an empty buffer at EOF. */
  recv(n: number): Promise<Buffer> {
    return this.makefile().read(n);
  }

  /** Up to `n` bytes of stderr; an empty buffer at EOF. */
  recvStderr(n: number): Promise<Buffer> {
    return this.makefileStderr().read(n);
  }

  /** Whether stdout has bytes to read now. */
  recvReady(): boolean {
    return (this.#stream?.readableLength ?? 0) > 0;
  }

  recvStderrReady(): boolean {
    return (this.#stream?.stderr.readableLength ?? 0) > 0;
  }

  /**
   * Sends what the channel accepts now; returns the byte count (all of it: ssh2 buffers). Throws
   * `SSHException` once EOF is sent or the channel closed, as paramiko's raises "Socket is closed".
   */
  send(data: string | Buffer): number {
    const stream = this.#open("send");
    if (this.#closed || stream.writableEnded || stream.destroyed) throw new SSHException("Cannot send: the channel's input is closed (EOF sent, or the channel closed)");
    stream.write(data);
    return Buffer.byteLength(data);
  }

  /** Sends everything, resolving once the channel accepts more. */
  sendall(data: string | Buffer): Promise<void> {
    return this.makefileStdin().write(data);
  }

  /**
   * paramiko's `send_stderr`: extended data from the client. The protocol allows it but no server
   * reads it (sshd discards it), and ssh2 sends extended data only as a server: this throws,
   * saying so, rather than lose the bytes.
   */
  sendStderr(_data: string | Buffer): number {
    throw new SSHException("Channel.sendStderr: a client channel cannot send on stderr with ssh2 (servers discard a client's stderr anyway); send on stdout");
  }

  /** paramiko's `sendall_stderr`: see `sendStderr`. */
  sendallStderr(_data: string | Buffer): Promise<void> {
    return Promise.reject(new SSHException("Channel.sendallStderr: a client channel cannot send on stderr with ssh2 (servers discard a client's stderr anyway); send on stdout"));
  }

  /** Sends EOF. */
  shutdownWrite(): void {
    this.#open("shutdownWrite").end();
  }

  /** Discards any further output. */
  shutdownRead(): void {
    const stream = this.#open("shutdownRead");
    stream.on("data", () => {});
    stream.stderr.on("data", () => {});
  }

  /** 0: stop reading, 1: stop writing, 2: both. */
  shutdown(how: 0 | 1 | 2): void {
    if (how !== 1) this.shutdownRead();
    if (how !== 0) this.shutdownWrite();
  }

  /** Sends a signal (`"TERM"`, `"KILL"`…) to the remote process. */
  signal(name: string): void {
    sendSignal(this.#open("signal"), name);
  }

  /** stdout as a file. */
  makefile(): ChannelFile<Channel> {
    return (this.#stdout ??= new ChannelFile(this, this.#open("makefile")));
  }

  makefileStderr(): ChannelFile<Channel> {
    return (this.#stderr ??= new ChannelFile(this, this.#open("makefileStderr").stderr));
  }

  makefileStdin(): ChannelStdinFile<Channel> {
    return (this.#stdin ??= new ChannelStdinFile(this, this.#open("makefileStdin")));
  }

  /** Whether the exit status (or the channel's end) has arrived. */
  exitStatusReady(): boolean {
    return this.#exit !== undefined;
  }

  /**
   * Waits for the exit status; -1 when none was sent. `timeout` (ms) rejects `SSHTimeoutError`
   * (phase `"command"`), `signal` rejects its reason; the command runs on either way.
   */
  async recvExitStatus(options: { timeout?: number; signal?: AbortSignal } = {}): Promise<number> {
    return (await this.recvExit(options)).exitStatus;
  }

  /** Waits for the exit status and signal; `timeout` and `signal` as {@link recvExitStatus}. */
  recvExit(options: { timeout?: number; signal?: AbortSignal } = {}): Promise<ExitInfo> {
    let timeout: number | undefined;
    let signal: AbortSignal | undefined;
    try {
      timeout = checkTimeout(options.timeout, "Channel.recvExit: timeout");
      signal = checkSignal(options.signal, "Channel.recvExit: signal");
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#exit) return Promise.resolve(this.#exit);
    return new Promise((resolve, reject) => {
      const settle = (info: ExitInfo) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        resolve(info);
      };
      const stop = (error: unknown) => {
        this.#exitWaiters = this.#exitWaiters.filter((waiter) => waiter !== settle);
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        reject(error);
      };
      const onAbort = () => stop(signal!.reason);
      const timer = timeout === undefined || timeout === Infinity ? undefined : setTimeout(() => stop(new SSHTimeoutError("command", timeout)), timeout);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#exitWaiters.push(settle);
    });
  }

  /** The exit signal once known (`"TERM"`), else null. */
  get exitSignal(): string | null {
    return this.#exit?.exitSignal ?? null;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The ssh2 stream, once the request has been sent. */
  get stream(): ClientChannel | undefined {
    return this.#stream;
  }

  /**
   * Closes the channel, as paramiko's `close` does: the close goes out at once, what the server still
   * sends is discarded, and the remote command sees its pipes close. It resolves once the close is
   * sent, not when the command ends: sshd ends the channel only when its command exits, and a
   * command that ignores closed pipes (a `sleep`) runs on till then.
   */
  async close(): Promise<void> {
    const stream = this.#stream;
    const wasClosed = this.#closed;
    this.#closed = true;
    if (!stream || wasClosed) return;
    // Unread output would hold the window shut and the stream open: let it drain into nothing.
    stream.resume();
    stream.stderr.resume();
    stream.close();
    // ssh2 takes writes to a closing channel and never calls back: ended, they fail instead.
    stream.end();
    this.#stdin?._closedHere();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #setExit(info: ExitInfo): void {
    if (this.#exit) return;
    this.#exit = info;
    for (const waiter of this.#exitWaiters.splice(0)) waiter(info);
  }

  #open(where: string): ClientChannel {
    if (!this.#stream) throw new SSHException(`Cannot ${where}: the channel has no command, shell or subsystem yet`);
    return this.#stream;
  }

  #checkUnopened(where: string): void {
    if (this.#stream) throw new SSHException(`Cannot ${where}: the channel is already in use`);
  }
}

interface EndRecord {
  exit: ExitInfo | undefined;
  closed: boolean;
  listeners: Array<() => void>;
}
const endRecords = new WeakMap<ClientChannel, EndRecord>();

/**
 * Starts recording a channel's exit status and close. Call it synchronously in ssh2's open callback:
 * a quick command's exit-status and close can arrive in the same read as the open confirmation, and
 * ssh2 emits them before any promise continuation could attach a listener.
 */
export function captureEnd(stream: ClientChannel): EndRecord {
  let record = endRecords.get(stream);
  if (record) return record;
  const created: EndRecord = (record = { exit: undefined, closed: false, listeners: [] });
  endRecords.set(stream, created);
  const notify = () => {
    for (const listener of created.listeners) listener();
  };
  stream.on("exit", (code: number | null, signal?: string) => {
    created.exit ??= { exitStatus: typeof code === "number" ? code : -1, exitSignal: signal ? signal.replace(/^SIG/, "") : null };
    notify();
  });
  stream.on("close", () => {
    created.closed = true;
    notify();
  });
  // An error on the channel (the connection dropped) must not go unhandled; readers see it as EOF.
  stream.on("error", () => {});
  stream.stderr.on("error", () => {});
  return created;
}

/** Turns ssh2's channel-open failure into `ChannelException`, or a timeout into `SSHTimeoutError`. */
export function toChannelError(error: unknown): Error {
  if (error instanceof SSHTimeoutError || error instanceof ChannelException) return error;
  const raw = error as { reason?: unknown; message?: string };
  if (typeof raw?.reason === "number") return new ChannelException(raw.reason, raw.message ?? "Channel open failed", { cause: error });
  return error instanceof Error ? error : new SSHException(String(error));
}
