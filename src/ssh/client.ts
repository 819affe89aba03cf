/**
 * paramiko's `SSHClient`: connect (host key policy, known_hosts, keys, agent, password, jump hosts,
 * ssh_config, per-phase timeouts), then run commands and open SFTP.
 *
 * Lean by design, because fleets open many: a connection is TCP, key exchange, one service request
 * and the auth attempts configured (no probing `none` round trip); a command is one channel open
 * plus its request.
 */
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Duplex } from "node:stream";
import { checkSignal, checkTimeout, deadlineOf, describe, remaining, TIMEOUT_MAX } from "../internal/options.js";
import { Agent } from "./agent.js";
import { checkConnectOptions, checkPort } from "./connect-options.js";
import type { Channel, PtyOptions } from "./channel.js";
import type { ChannelFile, ChannelStdinFile } from "./channel-file.js";
import { SSHConfig, expandHome } from "./config.js";
import type { SSHConfigDict } from "./config.js";
import { AuthenticationError, BadHostKeyError, CommandError, PasswordRequiredException, SSHException, SSHTimeoutError } from "./errors.js";
import { withTimeout } from "./with-timeout.js";
import { HostKeys, hostKeyName } from "./host-keys.js";
import { PKey } from "./pkey.js";
import { AcceptNewPolicy, AutoAddPolicy, RejectPolicy } from "./policies.js";
import type { HostKeyStore, MissingHostKeyPolicy } from "./policies.js";
import { ProxyCommand } from "./proxy-command.js";
import { SFTPClient } from "./sftp-client.js";
import { Transport, defaultUser } from "./transport.js";
import type { DisabledAlgorithms, TransportOptions, TransportTarget } from "./transport.js";

/** How long a killed command's channel may take to confirm its close before `run` rejects anyway (ms). */
const KILL_GRACE = 1000;

export interface ConnectOptions {
  hostname: string;
  /** Default 22 (or ssh_config's Port). */
  port?: number;
  /** Default: the local user (or ssh_config's User). */
  username?: string;
  /** Password auth, keyboard-interactive answers, and a last-resort key passphrase. */
  password?: string;
  /** A loaded key to try first. */
  pkey?: PKey;
  /** Key files to try. */
  keyFilename?: string | string[];
  /** Passphrase of encrypted key files. */
  passphrase?: string;
  /** Try the ssh-agent's keys (`SSH_AUTH_SOCK`, or the `agent` option). Default true. */
  allowAgent?: boolean;
  /** An agent socket path or `Agent` to use instead of `SSH_AUTH_SOCK`. */
  agent?: Agent | string;
  /** Try `~/.ssh/id_rsa`, `id_ecdsa`, `id_ed25519`. Default true. */
  lookForKeys?: boolean;
  /** TCP connect timeout (ms). */
  timeout?: number;
  /** From TCP connect to the server's SSH banner (ms). */
  bannerTimeout?: number;
  /** For authentication (ms). */
  authTimeout?: number;
  /** For each channel open: exec, shell, SFTP (ms). */
  channelTimeout?: number;
  /** An open stream to run SSH over (a `ProxyCommand`, a `direct-tcpip` channel, a socket). */
  sock?: Duplex | Channel;
  /**
   * Makes the `Transport` (paramiko 3.2's `transport_factory`): given where to connect and the
   * options SSHClient chose, return a `Transport` (a subclass, or one wrapped for tests). Jump
   * hosts get theirs from it too.
   */
  transportFactory?: (target: TransportTarget, options: TransportOptions) => Transport;
  /** Jump hosts, `user@host:port`, comma-separated or a list: the first is reached directly. */
  proxyJump?: string | string[];
  /** Keepalive interval (ms). */
  keepaliveInterval?: number;
  disabledAlgorithms?: DisabledAlgorithms;
  compress?: boolean;
  /** Apply ssh_config: `true` reads `~/.ssh/config`, a string is a config path, or an `SSHConfig`. */
  sshConfig?: boolean | string | SSHConfig;
  /** Aborts the connect. */
  signal?: AbortSignal;
}

export interface ExecOptions {
  /** Read timeout on the channel files (ms). */
  timeout?: number;
  getPty?: boolean | PtyOptions;
  /** Environment variables (sshd accepts only those listed in its `AcceptEnv`; others are dropped silently). */
  environment?: Record<string, string>;
  /** Aborting it sends the command `KILL` and closes its channel: its files end, `recvExit` resolves. */
  signal?: AbortSignal;
  /**
   * Forwards the ssh-agent to the command (`ssh -A`; paramiko's `AgentRequestHandler`): the `agent`
   * given to `connect()`, or `SSH_AUTH_SOCK`. See `Channel.requestForwardAgent`.
   */
  agentForward?: boolean;
}

export interface RunOptions extends Omit<ExecOptions, "timeout" | "signal"> {
  /** Sent to the command's stdin, then EOF. */
  input?: string | Buffer;
  /** Reject with `CommandError` on a non-zero exit status or a signal. */
  check?: boolean;
  /** The whole command's time (ms): then it is killed and the call rejects `TimeoutError` (phase `"command"`). */
  timeout?: number;
  signal?: AbortSignal;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitStatus: number;
  exitSignal: string | null;
}

export interface ExecResult {
  stdin: ChannelStdinFile<Channel>;
  stdout: ChannelFile<Channel>;
  stderr: ChannelFile<Channel>;
}

export class SSHClient implements HostKeyStore {
  /**
   * Timeouts used when `connect` is given none, as paramiko's (`banner_timeout` 15 s,
   * `auth_timeout` 30 s): a host that accepts and never speaks SSH must not hang `connect` forever.
   * Process-wide; set a field to `undefined` to wait without a bound.
   */
  static defaultTimeouts: { bannerTimeout: number | undefined; authTimeout: number | undefined } = {
    bannerTimeout: 15_000,
    authTimeout: 30_000,
  };

  #systemHostKeys = new HostKeys();
  #hostKeys = new HostKeys();
  #hostKeysFilename: string | undefined;
  #policy: MissingHostKeyPolicy = new RejectPolicy();
  #policyExplicit = false;
  #transport: Transport | undefined;
  #jumps: SSHClient[] = [];
  #channelTimeout: number | undefined;
  /** The agent `connect()` was given (forwarded on request). */
  #agent: Agent | string | undefined;

  /** Sets the policy for unknown hosts (an instance or a class). Default `RejectPolicy`. */
  setMissingHostKeyPolicy(policy: MissingHostKeyPolicy | (new () => MissingHostKeyPolicy)): void {
    this.#policy = typeof policy === "function" ? new policy() : policy;
    this.#policyExplicit = true;
  }

  /**
   * Reads the system's known hosts: consulted, never written. Without a file name,
   * `~/.ssh/known_hosts`, if there is one; a file named must exist (ENOENT otherwise, as paramiko's
   * `IOError`).
   */
  async loadSystemHostKeys(filename?: string): Promise<void> {
    if (filename === undefined) await this.#systemHostKeys.loadIfPresent(path.join(os.homedir(), ".ssh", "known_hosts"));
    else await this.#systemHostKeys.load(filename);
  }

  /** Reads a known_hosts file, which must exist; new keys are saved back to it. */
  async loadHostKeys(filename: string): Promise<void> {
    await this.#hostKeys.load(filename);
    this.#hostKeysFilename = expandHome(filename);
  }

  /** Writes the host keys (those of `loadHostKeys` and added ones) to a file. */
  async saveHostKeys(filename?: string): Promise<void> {
    const target = filename ?? this.#hostKeysFilename ?? path.join(os.homedir(), ".ssh", "known_hosts");
    await this.#hostKeys.save(target);
  }

  get hostKeysFilename(): string | undefined {
    return this.#hostKeysFilename;
  }

  getHostKeys(): HostKeys {
    return this.#hostKeys;
  }

  /** The transport, or null before connect / after close. */
  getTransport(): Transport | null {
    return this.#transport ?? null;
  }

  /** Connects and authenticates. */
  async connect(options: ConnectOptions): Promise<void> {
    checkConnectOptions(options, "SSHClient.connect");
    if (this.#transport?.isActive()) throw new SSHException(`Cannot connect to ${options.hostname}: this client is already connected`);
    const resolved = await this.#resolve(options);
    // ssh_config may have changed them: check again what the connection will use.
    checkConnectOptions(resolved, `SSHClient.connect (${options.hostname})`);
    const { hostname, port } = resolved;
    for (const hop of resolved.proxyJump) parseHop(hop);
    this.#channelTimeout = checkTimeout(resolved.channelTimeout, "SSHClient.connect: channelTimeout");
    this.#agent = resolved.agent;
    resolved.signal?.throwIfAborted();
    const keyName = hostKeyName(hostname, port);

    // Started here, where a failure can end it: ssh_config's ProxyCommand is only named by #resolve.
    const proxy = resolved.sock === undefined && resolved.proxyCommand !== undefined ? new ProxyCommand(resolved.proxyCommand) : undefined;
    let sock = resolved.sock ?? proxy;
    try {
      if (!sock && resolved.proxyJump.length > 0) sock = await this.#jumpTo(resolved, options);
      const known = [...(this.#hostKeys.lookup(keyName)?.keys() ?? []), ...(this.#systemHostKeys.lookup(keyName)?.keys() ?? [])];
      const transport = (resolved.transportFactory ?? ((target, options) => new Transport(target, options)))(sock ?? [hostname, port], {
        hostname: keyName,
        timeout: resolved.timeout,
        bannerTimeout: resolved.bannerTimeout ?? SSHClient.defaultTimeouts.bannerTimeout,
        keepaliveInterval: resolved.keepaliveInterval,
        disabledAlgorithms: resolved.disabledAlgorithms,
        compress: resolved.compress,
        preferredHostKeyTypes: known,
        hostKeyVerifier: (key) => this.#verifyHostKey(keyName, key),
      });
      if (!(transport instanceof Transport)) throw new TypeError(`SSHClient.connect: transportFactory must return a Transport: got ${describe(transport)}`);
      this.#transport = transport;
      const abort = () => void transport.close();
      resolved.signal?.addEventListener("abort", abort, { once: true });
      try {
        await transport.startClient();
        await withTimeout(this.#authenticate(transport, resolved), resolved.authTimeout ?? SSHClient.defaultTimeouts.authTimeout, "auth", keyName, () => transport.close());
      } finally {
        resolved.signal?.removeEventListener("abort", abort);
      }
      resolved.signal?.throwIfAborted();
    } catch (error) {
      await this.close();
      proxy?.destroy();
      throw error;
    }
  }

  async #resolve(
    options: ConnectOptions,
  ): Promise<Required<Pick<ConnectOptions, "hostname" | "port" | "username">> & ConnectOptions & { proxyJump: string[]; keyFilename: string[]; proxyCommand?: string | undefined }> {
    const merged = { ...options };
    let config: SSHConfigDict | undefined;
    let proxyFromConfig: string | undefined;
    if (options.sshConfig) {
      const sshConfig =
        options.sshConfig instanceof SSHConfig
          ? options.sshConfig
          : await loadConfig(typeof options.sshConfig === "string" ? options.sshConfig : path.join(os.homedir(), ".ssh", "config"));
      config = await sshConfig.lookupAsync(options.hostname, { user: options.username, port: options.port, signal: options.signal });
      merged.hostname = config.getString("hostname") ?? options.hostname;
      merged.port ??= config.asInt("port");
      merged.username ??= config.getString("user");
      if (merged.keyFilename === undefined && config.getList("identityfile").length > 0) {
        merged.keyFilename = config.getList("identityfile").filter((file) => existsSync(file));
      }
      if (config.asBool("identitiesonly")) {
        merged.allowAgent ??= false;
        merged.lookForKeys ??= false;
      }
      const jump = config.getString("proxyjump");
      if (merged.proxyJump === undefined && merged.sock === undefined && jump && jump.toLowerCase() !== "none") merged.proxyJump = jump;
      const proxyCommand = config.getString("proxycommand");
      if (merged.sock === undefined && merged.proxyJump === undefined && proxyCommand && proxyCommand.toLowerCase() !== "none") {
        proxyFromConfig = proxyCommand;
      }
      // OpenSSH's times (`1m30s`); 0 is no bound, no keepalive.
      const connectTimeout = config.asTime("connecttimeout");
      if (connectTimeout) merged.timeout ??= Math.min(connectTimeout, TIMEOUT_MAX);
      const aliveInterval = config.asTime("serveraliveinterval");
      if (aliveInterval) merged.keepaliveInterval ??= Math.min(aliveInterval, TIMEOUT_MAX);
      const strict = config.getString("stricthostkeychecking")?.toLowerCase();
      if (strict !== undefined && !this.#policyExplicit) {
        this.#policy = strict === "no" || strict === "off" ? new AutoAddPolicy() : strict === "accept-new" ? new AcceptNewPolicy() : new RejectPolicy();
      }
      const knownHosts = config.getString("userknownhostsfile");
      if (knownHosts !== undefined && this.#hostKeysFilename === undefined) {
        const files = knownHosts.split(/\s+/).map(expandHome);
        // As OpenSSH: files that do not exist yet read as empty, and new keys go to the first.
        if (files[0] !== "/dev/null") {
          await this.#hostKeys.loadIfPresent(files[0]!);
          this.#hostKeysFilename = files[0]!;
        }
        for (const extra of files.slice(1)) await this.#systemHostKeys.loadIfPresent(extra);
      }
    }
    const keyFilename = merged.keyFilename === undefined ? [] : Array.isArray(merged.keyFilename) ? merged.keyFilename : [merged.keyFilename];
    const proxyJump =
      merged.proxyJump === undefined ? [] : (Array.isArray(merged.proxyJump) ? merged.proxyJump : merged.proxyJump.split(",")).map((hop) => hop.trim()).filter(Boolean);
    return {
      ...merged,
      hostname: merged.hostname,
      port: merged.port === undefined ? 22 : checkPort(merged.port, "SSHClient.connect: port"),
      username: merged.username ?? defaultUser(),
      keyFilename,
      proxyJump,
      proxyCommand: proxyFromConfig,
    };
  }

  /**
   * Connects through each jump host in turn; resolves the stream to the final target. Each hop
   * starts from the caller's options, not the target's resolved ones: the target's ssh_config
   * (its IdentityFile, IdentitiesOnly, ConnectTimeout...) is not the jump host's, which gets its own.
   */
  async #jumpTo(options: ConnectOptions & { hostname: string; port: number; proxyJump: string[] }, callerOptions: ConnectOptions): Promise<Duplex> {
    let sock: Duplex | undefined;
    for (const [index, hop] of options.proxyJump.entries()) {
      const { user, host, port } = parseHop(hop);
      const jump = new SSHClient();
      jump.#systemHostKeys = this.#systemHostKeys;
      jump.#hostKeys = this.#hostKeys;
      jump.#hostKeysFilename = this.#hostKeysFilename;
      jump.#policy = this.#policy;
      this.#jumps.push(jump);
      const hopOptions: ConnectOptions = {
        ...callerOptions,
        hostname: host,
        proxyJump: [],
        sshConfig: callerOptions.sshConfig ?? false,
      };
      if (port !== undefined) hopOptions.port = port;
      else delete hopOptions.port;
      if (user !== undefined) hopOptions.username = user;
      else if (callerOptions.sshConfig) delete hopOptions.username;
      if (sock) hopOptions.sock = sock;
      else delete hopOptions.sock;
      await jump.connect(hopOptions);
      const next = index + 1;
      const [nextHost, nextPort] = next < options.proxyJump.length ? hostPortOf(options.proxyJump[next]!) : ([options.hostname, options.port] as const);
      sock = (await jump.getTransport()!.openChannel("direct-tcpip", [nextHost, nextPort], ["127.0.0.1", 0], this.#channelTimeout !== undefined ? { timeout: this.#channelTimeout } : {})).stream!;
    }
    return sock!;
  }

  async #verifyHostKey(name: string, key: PKey): Promise<void> {
    for (const keys of [this.#hostKeys, this.#systemHostKeys]) {
      if (keys.isRevoked(key)) throw new SSHException(`Host key for ${name} is revoked: ${key.getName()} ${key.fingerprint}`);
    }
    const known = [...this.#hostKeys.lookupAll(name), ...this.#systemHostKeys.lookupAll(name)];
    if (known.length === 0) {
      await this.#policy.missingHostKey(this, name, key);
      return;
    }
    if (known.some((candidate) => candidate.equals(key))) return;
    // Known under another key: refused whatever the policy (a changed key may be an attack).
    const expected = known.find((candidate) => candidate.getName() === key.getName()) ?? known[0]!;
    throw new BadHostKeyError(name, key, expected);
  }

  async #authenticate(transport: Transport, options: ConnectOptions & { username: string; keyFilename: string[] }): Promise<void> {
    const { username } = options;
    const tried: string[] = [];
    let allowed: string[] | undefined;
    let keyError: Error | undefined;
    let lastError: AuthenticationError | undefined;

    const attempt = async (method: string, wire: string, run: () => Promise<string[]>): Promise<boolean> => {
      if (allowed && !allowed.includes(wire)) return false;
      tried.push(method);
      try {
        const remaining = await run();
        if (remaining.length === 0) return true;
        allowed = remaining; // partial success: go on with what the server still wants
        return false;
      } catch (error) {
        if (!(error instanceof AuthenticationError)) throw error;
        lastError = error;
        if (error.allowedMethods.length > 0) allowed = error.allowedMethods;
        return false;
      }
    };

    if (options.pkey && (await attempt("publickey", "publickey", () => transport.authPublickey(username, options.pkey!)))) return;
    for (const file of options.keyFilename) {
      let key: PKey;
      try {
        key = await loadKey(expandHome(file), options.passphrase, options.password);
      } catch (error) {
        keyError = error as Error;
        continue;
      }
      if (await attempt(`publickey (${file})`, "publickey", () => transport.authPublickey(username, key))) return;
    }
    if (options.allowAgent !== false) {
      const agent = options.agent instanceof Agent ? options.agent : new Agent(options.agent ?? process.env["SSH_AUTH_SOCK"]);
      if (agent.available && (await attempt("agent", "publickey", () => transport.authAgent(username, agent)))) return;
    }
    if (options.lookForKeys !== false) {
      for (const name of ["id_rsa", "id_ecdsa", "id_ed25519"]) {
        for (const dir of [path.join(os.homedir(), ".ssh"), path.join(os.homedir(), "ssh")]) {
          const file = path.join(dir, name);
          if (!existsSync(file)) continue;
          let key: PKey;
          try {
            key = await loadKey(file, options.passphrase, options.password);
          } catch (error) {
            keyError ??= error as Error;
            continue;
          }
          if (await attempt(`publickey (${file})`, "publickey", () => transport.authPublickey(username, key))) return;
        }
      }
    }
    if (options.password !== undefined) {
      if (await attempt("password", "password", () => transport.authPassword(username, options.password!))) return;
      if (await attempt("keyboard-interactive", "keyboard-interactive", () => transport.authInteractivePassword(username, options.password!))) return;
    }
    if (tried.length === 0 && keyError) throw keyError;
    const host = hostKeyName(options.hostname, options.port ?? 22);
    const allowedMethods = allowed ?? lastError?.allowedMethods ?? [];
    const message =
      tried.length === 0
        ? `Authentication failed for ${username}@${host}: no method to try (give a password, a key, or an agent)`
        : `Authentication failed for ${username}@${host}: tried ${tried.join(", ")}; the server allows ${allowedMethods.join(", ") || "nothing more"}`;
    throw new AuthenticationError(message + (keyError ? ` (${keyError.message})` : ""), { username, methodsTried: tried, allowedMethods, host }, { cause: keyError ?? lastError });
  }

  #connected(where: string): Transport {
    const transport = this.#transport;
    if (!transport?.isAuthenticated()) throw new SSHException(`Cannot ${where}: the client is not connected`);
    return transport;
  }

  /** Runs a command; its stdin, stdout and stderr are files on one channel. */
  async execCommand(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    checkCommand(command, options.environment, "SSHClient.execCommand");
    const timeout = checkTimeout(options.timeout, "SSHClient.execCommand: timeout");
    const signal = checkSignal(options.signal, "SSHClient.execCommand: signal");
    const transport = this.#connected("execCommand");
    const channel = await transport.openSession(this.#channelTimeout !== undefined ? { timeout: this.#channelTimeout } : {});
    if (options.getPty) await channel.getPty(options.getPty === true ? {} : options.getPty);
    if (options.environment) channel.updateEnvironment(options.environment);
    if (options.agentForward) await channel.requestForwardAgent(this.#agent);
    if (timeout !== undefined) channel.settimeout(timeout);
    await channel.execCommand(command);
    if (signal) {
      const onAbort = () => {
        try {
          channel.signal("KILL");
          channel.stream?.close();
        } catch {
          // the channel is already gone
        }
      };
      if (signal.aborted) onAbort();
      else {
        signal.addEventListener("abort", onAbort, { once: true });
        channel.stream?.once("close", () => signal.removeEventListener("abort", onAbort));
      }
    }
    return { stdin: channel.makefileStdin(), stdout: channel.makefile(), stderr: channel.makefileStderr() };
  }

  /** Runs a command to its end and gathers its output (asyncssh's `run`). */
  async run(command: string, options: RunOptions = {}): Promise<RunResult> {
    checkCommand(command, options.environment, "SSHClient.run");
    if (options.input !== undefined && typeof options.input !== "string" && !Buffer.isBuffer(options.input)) {
      throw new TypeError(`SSHClient.run: input must be a string or a Buffer: got ${describe(options.input)}`);
    }
    const timeout = checkTimeout(options.timeout, "SSHClient.run: timeout");
    const deadline = deadlineOf(timeout);
    options.signal?.throwIfAborted();
    const execOptions: ExecOptions = {};
    if (options.getPty !== undefined) execOptions.getPty = options.getPty;
    if (options.environment !== undefined) execOptions.environment = options.environment;
    if (options.agentForward !== undefined) execOptions.agentForward = options.agentForward;
    const { stdin, stdout, stderr } = await this.execCommand(command, execOptions);
    const channel = stdout.channel;
    const finished = (async () => {
      const writing = (async () => {
        if (options.input !== undefined) await stdin.write(options.input);
        await stdin.close();
      })().catch(() => {});
      const [out, err] = await Promise.all([stdout.readAll(), stderr.readAll()]);
      await writing;
      const exit = await channel.recvExit();
      return { stdout: out.toString(), stderr: err.toString(), exitStatus: exit.exitStatus, exitSignal: exit.exitSignal };
    })();
    // On timeout or abort: KILL the command and close the channel at once. sshd delivers the signal
    // to the session's whole process group (killpg); closing the channel too means a process that
    // left the group (setsid, a daemon) but holds the pipes open cannot hold the call past its
    // deadline, and frees the session slot. Then wait (briefly) for the close to be confirmed.
    const kill = async () => {
      const closed = new Promise((resolve) => (channel.closed ? resolve(undefined) : channel.stream?.once("close", resolve)));
      try {
        channel.signal("KILL");
        channel.stream?.close();
      } catch {
        // the channel may already be gone
      }
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, KILL_GRACE).unref())]);
    };
    // A timeout or an abort wins even when the killed command's end arrives first.
    let interruption: unknown;
    let killed: Promise<void> | undefined;
    let wake: () => void = () => {};
    const interrupted = new Promise<void>((resolve) => (wake = resolve));
    const interrupt = (reason: unknown) => {
      if (killed) return;
      interruption = reason;
      killed = kill();
      wake();
    };
    const onAbort = () => interrupt(options.signal!.reason);
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener("abort", onAbort, { once: true });
    const timer = timeout === undefined ? undefined : setTimeout(() => interrupt(new SSHTimeoutError("command", timeout)), remaining(deadline));
    let result: RunResult;
    try {
      await Promise.race([finished.catch(() => {}), interrupted]);
      if (killed) {
        await killed;
        throw interruption;
      }
      result = await finished;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    }
    if (options.check && (result.exitStatus !== 0 || result.exitSignal !== null)) throw new CommandError(command, result);
    return result;
  }

  /** An interactive shell on a pty. */
  async invokeShell(
    options: { term?: string; width?: number; height?: number; widthPixels?: number; heightPixels?: number; environment?: Record<string, string>; agentForward?: boolean } = {},
  ): Promise<Channel> {
    if (options.environment !== undefined) checkEnvironment(options.environment, "SSHClient.invokeShell");
    const transport = this.#connected("invokeShell");
    const channel = await transport.openSession(this.#channelTimeout !== undefined ? { timeout: this.#channelTimeout } : {});
    await channel.getPty(options);
    if (options.environment) channel.updateEnvironment(options.environment);
    if (options.agentForward) await channel.requestForwardAgent(this.#agent);
    await channel.invokeShell();
    return channel;
  }

  /** An SFTP session on this connection. */
  async openSftp(): Promise<SFTPClient> {
    const transport = this.#connected("openSftp");
    return SFTPClient.fromTransport(transport, this.#channelTimeout !== undefined ? { timeout: this.#channelTimeout } : {});
  }

  /** Closes the connection (and any jump hosts). Safe to call twice. */
  async close(): Promise<void> {
    const transport = this.#transport;
    this.#transport = undefined;
    await transport?.close();
    const jumps = this.#jumps.splice(0).reverse();
    for (const jump of jumps) await jump.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function checkCommand(command: unknown, environment: unknown, where: string): void {
  if (typeof command !== "string") throw new TypeError(`${where}: command must be a string: got ${describe(command)}`);
  if (environment !== undefined) checkEnvironment(environment, where);
}

function checkEnvironment(environment: unknown, where: string): void {
  if (typeof environment !== "object" || environment === null || !Object.values(environment).every((value) => typeof value === "string")) {
    throw new TypeError(`${where}: environment must map names to string values: got ${describe(environment)}`);
  }
}

async function loadConfig(file: string): Promise<SSHConfig> {
  try {
    return await SSHConfig.fromPath(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return new SSHConfig();
    throw error;
  }
}

async function loadKey(file: string, passphrase: string | undefined, password: string | undefined): Promise<PKey> {
  try {
    return await PKey.fromPrivateKeyFile(file, { passphrase });
  } catch (error) {
    // paramiko's legacy fallback: the password may be the key's passphrase.
    if (error instanceof PasswordRequiredException && password !== undefined) return PKey.fromPrivateKeyFile(file, { passphrase: password });
    throw error;
  }
}

/** `[user@]host[:port]` of a jump host; a malformed one is refused before any connection. */
function parseHop(hop: string): { user: string | undefined; host: string; port: number | undefined } {
  const at = hop.lastIndexOf("@");
  const user = at === -1 ? undefined : hop.slice(0, at);
  const address = at === -1 ? hop : hop.slice(at + 1);
  const shape = /^(?:\[([^\]]+)\]|([^:\s[\]]+))(?::(.*))?$/.exec(address);
  if (!shape || user === "") throw new TypeError(`SSHClient.connect: proxyJump hop must be "[user@]host[:port]": got ${JSON.stringify(hop)}`);
  const host = shape[1] ?? shape[2]!;
  const port = shape[3] === undefined ? undefined : checkPort(shape[3], `SSHClient.connect: proxyJump hop ${JSON.stringify(hop)} port`);
  return { user, host, port };
}

function hostPortOf(hop: string): readonly [string, number] {
  const { host, port } = parseHop(hop);
  return [host, port ?? 22];
}
