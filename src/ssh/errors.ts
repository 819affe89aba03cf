/**
 * The errors of shoal/ssh, with paramiko's names. Each carries what failed and where (host, path,
 * phase, methods), so a caller can report it without parsing the message.
 */

/** The base of every SSH failure (paramiko's `SSHException`). */
export class SSHException extends Error {
  override name = "SSHException";
}

/** Authentication failed: carries the methods tried and the methods the server allows. */
export class AuthenticationError extends SSHException {
  override name = "AuthenticationError";
  /** The login name. */
  readonly username: string;
  /** Methods tried, in order (`"publickey"`, `"agent"`, `"password"`, `"keyboard-interactive"`). */
  readonly methodsTried: string[];
  /** What the server said it still accepts (empty when it never said). */
  readonly allowedMethods: string[];
  /** The host, when known. */
  readonly host: string | undefined;

  constructor(
    message: string,
    details: { username: string; methodsTried?: string[]; allowedMethods?: string[]; host?: string | undefined },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.username = details.username;
    this.methodsTried = details.methodsTried ?? [];
    this.allowedMethods = details.allowedMethods ?? [];
    this.host = details.host;
  }
}
/** paramiko's name for {@link AuthenticationError}. */
export const AuthenticationException = AuthenticationError;

/** A key file is encrypted and no passphrase was given. */
export class PasswordRequiredException extends AuthenticationError {
  override name = "PasswordRequiredException";
}

/** The server does not accept this method; `allowedTypes` lists what it accepts. */
export class BadAuthenticationType extends AuthenticationError {
  override name = "BadAuthenticationType";
  get allowedTypes(): string[] {
    return this.allowedMethods;
  }
}

/** The method succeeded but the server wants another one too (two-factor). */
export class PartialAuthentication extends AuthenticationError {
  override name = "PartialAuthentication";
  get allowedTypes(): string[] {
    return this.allowedMethods;
  }
}

/** A channel could not be opened; `code` is the SSH reason (1 prohibited … 4 resource shortage). */
export class ChannelException extends SSHException {
  override name = "ChannelException";
  readonly code: number;
  constructor(code: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** What {@link BadHostKeyError} needs of a key: its type and fingerprint. */
export interface KeyLike {
  getName(): string;
  readonly fingerprint: string;
}

/** The server's host key differs from the one known for it. Always refused, whatever the policy. */
export class BadHostKeyError extends SSHException {
  override name = "BadHostKeyError";
  readonly hostname: string;
  /** The key the server presented. */
  readonly key: KeyLike;
  /** The key known_hosts holds for it. */
  readonly expectedKey: KeyLike;
  constructor(hostname: string, key: KeyLike, expectedKey: KeyLike) {
    super(
      `Host key for ${hostname} has changed: got ${key.getName()} ${key.fingerprint}, expected ${expectedKey.getName()} ${expectedKey.fingerprint}`,
    );
    this.hostname = hostname;
    this.key = key;
    this.expectedKey = expectedKey;
  }
}
/** paramiko's name for {@link BadHostKeyError}. */
export const BadHostKeyException = BadHostKeyError;

/** No address of a host could be reached. `byAddress` maps each address tried to its error. */
export class NoValidConnectionsError extends AggregateError {
  override name = "NoValidConnectionsError";
  readonly byAddress: Map<string, Error>;
  constructor(byAddress: Map<string, Error>) {
    // The reason too: a refused port and an unreachable host call for different fixes.
    const tried = [...byAddress].map(([address, error]) => `${address} (${(error as NodeJS.ErrnoException).code ?? error.message})`);
    super([...byAddress.values()], `Unable to connect to ${tried.join(", ")}`);
    this.byAddress = byAddress;
  }
}

/** A `ProxyCommand` failed to start or died. */
export class ProxyCommandFailure extends SSHException {
  override name = "ProxyCommandFailure";
  readonly command: string;
  /** What went wrong, as paramiko's `error`: the spawn error's message, or how the command ended. */
  readonly error: string;
  constructor(command: string, error: string, options?: ErrorOptions) {
    super(`ProxyCommand ${JSON.stringify(command)} failed: ${error}`, options);
    this.command = command;
    this.error = error;
  }
}

/** Client and server share no algorithm of some kind (kex, cipher, MAC, host key). */
export class IncompatiblePeer extends SSHException {
  override name = "IncompatiblePeer";
}

/** An ssh_config file could not be parsed. */
export class ConfigParseError extends SSHException {
  override name = "ConfigParseError";
}

/** The phase a {@link SSHTimeoutError} happened in. */
export type TimeoutPhase = "connect" | "banner" | "handshake" | "auth" | "channel" | "read" | "command" | "sftp";

/** A wait ran out of time. Its `name` is `"TimeoutError"`, as `AbortSignal.timeout()`'s. */
export class SSHTimeoutError extends SSHException {
  override name = "TimeoutError";
  readonly phase: TimeoutPhase;
  readonly timeout: number;
  readonly host: string | undefined;
  constructor(phase: TimeoutPhase, timeout: number, host?: string) {
    super(`Timed out after ${timeout} ms waiting for ${PHASE_TEXT[phase]}${host ? ` of ${host}` : ""}`);
    this.phase = phase;
    this.timeout = timeout;
    this.host = host;
  }
}

const PHASE_TEXT: Record<TimeoutPhase, string> = {
  connect: "the TCP connection",
  banner: "the SSH banner",
  handshake: "the key exchange",
  auth: "authentication",
  channel: "a channel to open",
  read: "data",
  command: "the command to finish",
  sftp: "the SFTP server's reply",
};

/** `run(..., { check: true })` saw a non-zero exit status or a signal. */
export class CommandError extends SSHException {
  override name = "CommandError";
  readonly command: string;
  readonly exitStatus: number;
  readonly exitSignal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  constructor(command: string, result: { exitStatus: number; exitSignal: string | null; stdout: string; stderr: string }) {
    super(
      result.exitSignal
        ? `Command ${JSON.stringify(command)} was killed by signal ${result.exitSignal}`
        : `Command ${JSON.stringify(command)} exited with status ${result.exitStatus}`,
    );
    this.command = command;
    this.exitStatus = result.exitStatus;
    this.exitSignal = result.exitSignal;
    this.stdout = result.stdout;
    this.stderr = result.stderr;
  }
}
