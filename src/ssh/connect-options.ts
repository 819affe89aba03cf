/**
 * Checks of the arguments that say where and how to connect. A user's typo (an empty host, a port
 * of "abc", a negative timeout, an unknown algorithm category) must fail at once with an error that
 * names the argument, never turn into a DNS lookup of "undefined" or a connection that hangs.
 */
import { Duplex } from "node:stream";
import { checkTimeout, describe } from "../internal/options.js";
import { PKey } from "./pkey.js";
import { Channel } from "./channel.js";

/** paramiko's category names and ssh2's, as `disabledAlgorithms` accepts them. */
export const ALGORITHM_CATEGORIES = ["ciphers", "cipher", "macs", "hmac", "keys", "serverHostKey", "kex", "compress"] as const;

/** Checks a host name: a non-empty string without spaces. */
export function checkHostname(hostname: unknown, where: string): string {
  if (typeof hostname !== "string" || hostname.trim() === "" || /\s/.test(hostname)) {
    throw new TypeError(`${where} must be a host name or address: got ${describe(hostname)}`);
  }
  return hostname;
}

/** Checks a TCP port: an integer from 1 to 65535 (a numeric string is accepted, as from a config). */
export function checkPort(port: unknown, where: string): number {
  const value = typeof port === "string" && /^\d+$/.test(port) ? Number(port) : port;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw new RangeError(`${where} must be a port number from 1 to 65535: got ${describe(port)}`);
  }
  return value;
}

/** Checks that a value, when given, is a string. */
export function checkOptionalString(value: unknown, where: string): void {
  if (value !== undefined && typeof value !== "string") throw new TypeError(`${where} must be a string: got ${describe(value)}`);
}

/** Checks a stream to run SSH over (a `Channel` from `openChannel` included). */
export function checkSock(sock: unknown, where: string): void {
  if (sock instanceof Channel) {
    if (sock.stream === undefined || sock.closed) throw new TypeError(`${where} must be an open channel: this one ${sock.closed ? "is closed" : "has no stream yet"}`);
    return;
  }
  const looksDuplex =
    sock instanceof Duplex ||
    (typeof sock === "object" && sock !== null && ["write", "on", "once", "end", "destroy"].every((name) => typeof (sock as Record<string, unknown>)[name] === "function"));
  if (!looksDuplex) throw new TypeError(`${where} must be a duplex stream (a socket, a channel, a ProxyCommand): got ${describe(sock)}`);
}

/** Checks `disabledAlgorithms`: known categories, each a list of names. */
export function checkDisabledAlgorithms(disabled: unknown, where: string): void {
  if (disabled === undefined) return;
  if (typeof disabled !== "object" || disabled === null || Array.isArray(disabled)) {
    throw new TypeError(`${where} must be an object of algorithm lists: got ${describe(disabled)}`);
  }
  for (const [category, names] of Object.entries(disabled)) {
    if (category === "pubkeys") {
      // paramiko's "pubkeys" picks the signature algorithms of user keys (rsa-sha2-256/512 or ssh-rsa);
      // ssh2 takes them from the server's server-sig-algs, with no setting to turn them off.
      throw new TypeError(`${where}.pubkeys is not supported: ssh2 picks a user key's signature algorithm from what the server offers (server-sig-algs); to leave a key out, do not pass it (keyFilename, pkey, allowAgent: false)`);
    }
    if (!(ALGORITHM_CATEGORIES as readonly string[]).includes(category)) {
      throw new TypeError(`${where} has an unknown category ${JSON.stringify(category)}: use one of ${ALGORITHM_CATEGORIES.join(", ")}`);
    }
    if (names !== undefined && (!Array.isArray(names) || !names.every((name) => typeof name === "string"))) {
      throw new TypeError(`${where}.${category} must be a list of algorithm names: got ${describe(names)}`);
    }
  }
}

/** The options of `SSHClient.connect` that can be checked before any I/O. */
export interface CheckedConnectOptions {
  hostname?: unknown;
  port?: unknown;
  username?: unknown;
  password?: unknown;
  passphrase?: unknown;
  pkey?: unknown;
  keyFilename?: unknown;
  timeout?: unknown;
  bannerTimeout?: unknown;
  authTimeout?: unknown;
  channelTimeout?: unknown;
  keepaliveInterval?: unknown;
  sock?: unknown;
  proxyJump?: unknown;
  disabledAlgorithms?: unknown;
  transportFactory?: unknown;
}

/** Checks the options of `SSHClient.connect`; `where` prefixes every message. */
export function checkConnectOptions(options: CheckedConnectOptions | undefined, where: string): void {
  if (typeof options !== "object" || options === null) throw new TypeError(`${where}: options must be an object with a hostname: got ${describe(options)}`);
  checkHostname(options.hostname, `${where}: hostname`);
  if (options.port !== undefined) checkPort(options.port, `${where}: port`);
  checkOptionalString(options.username, `${where}: username`);
  checkOptionalString(options.password, `${where}: password`);
  if (options.passphrase !== undefined && typeof options.passphrase !== "string" && !Buffer.isBuffer(options.passphrase)) {
    throw new TypeError(`${where}: passphrase must be a string: got ${describe(options.passphrase)}`);
  }
  if (options.pkey !== undefined && !(options.pkey instanceof PKey)) {
    throw new TypeError(`${where}: pkey must be a PKey (load one with PKey.fromPrivateKeyFile): got ${describe(options.pkey)}`);
  }
  const files = options.keyFilename;
  if (files !== undefined && typeof files !== "string" && !(Array.isArray(files) && files.every((file) => typeof file === "string"))) {
    throw new TypeError(`${where}: keyFilename must be a path or a list of paths: got ${describe(files)}`);
  }
  for (const name of ["timeout", "bannerTimeout", "authTimeout", "channelTimeout", "keepaliveInterval"] as const) {
    checkTimeout(options[name] as number | undefined, `${where}: ${name}`);
  }
  if (options.sock !== undefined) checkSock(options.sock, `${where}: sock`);
  const jumps = options.proxyJump;
  if (jumps !== undefined && typeof jumps !== "string" && !(Array.isArray(jumps) && jumps.every((hop) => typeof hop === "string"))) {
    throw new TypeError(`${where}: proxyJump must be "user@host:port" or a list of them: got ${describe(jumps)}`);
  }
  checkDisabledAlgorithms(options.disabledAlgorithms, `${where}: disabledAlgorithms`);
  if (options.transportFactory !== undefined && typeof options.transportFactory !== "function") {
    throw new TypeError(`${where}: transportFactory must be a function returning a Transport: got ${describe(options.transportFactory)}`);
  }
}
