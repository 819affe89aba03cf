/**
 * From an inventory host to a connection spec: the host's vars first, then ~/.ssh/config under them
 * (as OpenSSH applies it: the first value wins, with `Include`, `Match` and `%` tokens, through
 * shoal/ssh's SSHConfig), then the fleet's defaults.
 */
import { existsSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { join } from "node:path";
import type { Host } from "./host.js";
import type { ConnectSpec } from "./connection.js";
import { FleetError } from "./fleet-error.js";
import { TIMEOUT_MAX } from "../internal/options.js";
import { SSHConfig, expandHome, expandTokens } from "../ssh/config.js";
import type { SSHConfigDict } from "../ssh/config.js";
import { ConfigParseError } from "../ssh/errors.js";

export interface ResolveOptions {
  /** Wins over every host's own connect timeout (as the CLI flag does). */
  connectTimeout?: number | undefined;
  /** For hosts without their own. Default 10 s, ClusterShell's. */
  defaultConnectTimeout?: number | undefined;
  /** Login user for hosts that name none, in the inventory or ssh_config (default: the local user). */
  user?: string | undefined;
  /** ssh_config file; default ~/.ssh/config; `false` ignores it. */
  sshConfig?: string | false | undefined;
}

export const DEFAULT_CONNECT_TIMEOUT = 10_000;

export type ResolvedSpec = ConnectSpec & { proxyJump?: string | undefined; knownHosts?: string[] | undefined };

/** What the lookup is for: `Match sessiontype` and `Match command` see it; the signal stops a `Match exec`. */
export interface SessionOptions {
  type?: "exec" | "subsystem" | "none" | undefined;
  command?: string | undefined;
  signal?: AbortSignal | undefined;
}

export class SpecResolver {
  readonly #config: SSHConfig | null;
  readonly #options: ResolveOptions;

  /** Reads the ssh_config now: a mistake in it (`ConfigParseError`, naming file and line) is thrown here. */
  constructor(options: ResolveOptions = {}) {
    this.#options = options;
    const file = options.sshConfig || join(homedir(), ".ssh", "config");
    this.#config = options.sshConfig === false || !existsSync(file) ? null : readConfig(file);
  }

  /**
   * The host's connection spec. What its ssh_config says but cannot be used (a `Port` that is no
   * port, a `Match exec` that does not finish within the connect timeout) fails this host alone, as
   * a FleetError of kind `dns` naming the file and line.
   */
  async resolve(host: Host, session: SessionOptions = {}): Promise<ResolvedSpec> {
    const v = host.vars;
    let c: SSHConfigDict | undefined;
    try {
      c = await this.#config?.lookupAsync(host.name, {
        user: v.user,
        defaultUser: this.#options.user,
        port: v.port,
        hostName: v.hostname,
        execTimeout: this.#options.connectTimeout ?? v.connect_timeout ?? this.#options.defaultConnectTimeout ?? DEFAULT_CONNECT_TIMEOUT,
        // A fleet's Ctrl-C is shoal's to handle: `Match exec` commands are out of its reach, and
        // killed (with what they started) when the run is stopped or shoal exits.
        execOwnGroup: true,
        signal: session.signal,
        sessionType: session.type,
        command: session.command,
      });
    } catch (error) {
      if (session.signal?.aborted) throw new FleetError("killed", "interrupted", "connect");
      throw new FleetError("dns", (error as Error).message, "connect", "ssh_config");
    }
    const one = (k: string): string | undefined => c?.getString(k);
    const identity = v.identity_file === undefined ? (c?.getList("identityfile") ?? []) : Array.isArray(v.identity_file) ? v.identity_file : [v.identity_file];
    const knownHosts = v["known_hosts"];
    const hostname = v.hostname ?? one("hostname") ?? host.name;
    const port = v.port ?? configPort(host, c) ?? 22;
    const username = v.user ?? one("user") ?? this.#options.user ?? userInfo().username;
    const proxy = proxyOf(host, c, { h: hostname, p: String(port), r: username, n: host.name, "%": "%" });
    return {
      name: host.name,
      hostname,
      port,
      username,
      identityFiles: identity.map(expandHome),
      passwordEnv: v.password_env,
      connectTimeout: this.#options.connectTimeout ?? v.connect_timeout ?? configTimeout(host, c) ?? this.#options.defaultConnectTimeout ?? DEFAULT_CONNECT_TIMEOUT,
      ...proxy,
      knownHosts: typeof knownHosts === "string" ? [expandHome(knownHosts)] : Array.isArray(knownHosts) ? knownHosts.map(String).map(expandHome) : undefined,
    };
  }
}

/** `Port` from ssh_config, checked; a bad one names its file and line. */
function configPort(host: Host, c: SSHConfigDict | undefined): number | undefined {
  const value = c?.getString("port");
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw configError(c!, "port", `Port for ${host.name} is not a port from 1 to 65535: ${JSON.stringify(value)}`);
  return port;
}

/**
 * `ConnectTimeout` from ssh_config, in OpenSSH's time format; 0 or `none` leaves shoal's default (a
 * fleet's connects are always bounded), and past Node's longest timer it is that.
 */
function configTimeout(host: Host, c: SSHConfigDict | undefined): number | undefined {
  let ms: number | undefined;
  try {
    ms = c?.asTime("connecttimeout");
  } catch {
    throw configError(c!, "connecttimeout", `ConnectTimeout for ${host.name} is not a time (seconds, or 30s, 1m, 1h): ${JSON.stringify(c!.getString("connecttimeout"))}`);
  }
  return ms ? Math.min(ms, TIMEOUT_MAX) : undefined;
}

function configError(c: SSHConfigDict, key: string, message: string): FleetError {
  const where = c.origin(key);
  return new FleetError("dns", where ? `${where}: ${message}` : message, "connect", "ssh_config");
}

/**
 * How the host is reached: a jump host, a proxy command, or directly. The inventory decides as a
 * whole when it names either (`none` included); otherwise ssh_config, where the first of
 * `ProxyJump` and `ProxyCommand` set wins, as in OpenSSH.
 */
function proxyOf(host: Host, c: SSHConfigDict | undefined, tokens: Record<string, string>): { proxyJump?: string; proxyCommand?: string; proxyGroup?: string } {
  const v = host.vars;
  const set = (x: unknown) => x !== undefined && x !== null;
  const off = (x: string | undefined) => x === undefined || x.toLowerCase() === "none";
  if (set(v.proxy_command) && typeof v.proxy_command !== "string") {
    throw new FleetError("dns", `Invalid proxy_command for ${host.name}: expected a command line, got ${JSON.stringify(v.proxy_command)}`, "connect", "invalid proxy_command");
  }
  let jump: string | undefined;
  let command: string | undefined;
  let template: string | undefined;
  if (set(v.proxy_jump) || set(v.proxy_command)) {
    if (!off(v.proxy_jump) && !off(v.proxy_command)) {
      throw new FleetError("dns", `${host.name} has both proxy_jump and proxy_command: a host is reached through one (set the other to none)`, "connect", "both proxy_jump and proxy_command");
    }
    jump = off(v.proxy_jump) ? undefined : v.proxy_jump;
    template = off(v.proxy_command) ? undefined : v.proxy_command;
    command = template === undefined ? undefined : expandTokens(template, tokens);
  } else {
    jump = off(c?.getString("proxyjump")) ? undefined : c!.getString("proxyjump");
    command = off(c?.getString("proxycommand")) ? undefined : c!.getString("proxycommand");
    // ssh_config's comes with its tokens expanded: put them back to tell which hosts share it.
    if (command !== undefined) template = unexpand(command, tokens);
  }
  const group = template !== undefined && throughOneBastion(template) ? template : undefined;
  return { ...(jump ? { proxyJump: jump } : {}), ...(command ? { proxyCommand: command } : {}), ...(group ? { proxyGroup: group } : {}) };
}

/**
 * Whether a proxy command is a hop through one bastion that every host using it shares: ssh's
 * `-W %h:%p` (or `nc %h %p` run through ssh) with the host named once, so that the rest of the
 * command (`bastion`) is the same machine for all. Others (`aws ssm start-session --target %h`,
 * `ssh -W %h:%p %h-jump`) are told apart per host.
 */
function throughOneBastion(template: string): boolean {
  if ((template.match(/%[hn]/g) ?? []).length !== 1) return false;
  return /\bssh\b.*\s-W\s*\[?%h\]?:%p(\s|$)/.test(template) || /\bssh\b.*\s(nc|ncat|netcat)\s+%h\s+%p(\s|$)/.test(template);
}

/** A proxy command with this host's own values turned back into tokens (`ssh -W %h:%p bastion`). */
function unexpand(command: string, tokens: Record<string, string>): string {
  let out = command;
  // Whole names only: host `b` is not the `b` of `bastion`.
  for (const t of ["h", "n", "r", "p"]) {
    const value = tokens[t];
    if (value) out = out.replace(new RegExp(`(?<![\\w.-])${value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w-]|\\.\\w)`, "g"), `%${t}`);
  }
  return out;
}

function readConfig(file: string): SSHConfig {
  try {
    return SSHConfig.fromPathSync(file);
  } catch (error) {
    if (error instanceof ConfigParseError) throw error;
    // The file cannot be read (a folder, no permission).
    throw new ConfigParseError(`Cannot read ssh_config ${file}: ${(error as Error).message}`);
  }
}
