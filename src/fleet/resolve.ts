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
import { FleetError } from "./connection.js";
import { SSHConfig, expandHome } from "../ssh/config.js";
import type { SSHConfigDict } from "../ssh/config.js";
import { ConfigParseError } from "../ssh/errors.js";

export interface ResolveOptions {
  /** Wins over every host's own connect timeout (as the CLI flag does). */
  connectTimeout?: number | undefined;
  /** For hosts without their own. Default 10 s, ClusterShell's. */
  defaultConnectTimeout?: number | undefined;
  /** Login user for hosts that name none (default: the local user). */
  user?: string | undefined;
  /** ssh_config file; default ~/.ssh/config; `false` ignores it. */
  sshConfig?: string | false | undefined;
}

export const DEFAULT_CONNECT_TIMEOUT = 10_000;

export type ResolvedSpec = ConnectSpec & { proxyJump?: string | undefined; knownHosts?: string[] | undefined };

export class SpecResolver {
  readonly #config: SSHConfig | null;
  readonly #file: string;
  readonly #options: ResolveOptions;

  /** Reads the ssh_config now: a mistake in it (`ConfigParseError`, naming file and line) is thrown here. */
  constructor(options: ResolveOptions = {}) {
    this.#options = options;
    this.#file = options.sshConfig || join(homedir(), ".ssh", "config");
    this.#config = options.sshConfig === false || !existsSync(this.#file) ? null : readConfig(this.#file);
  }

  /**
   * The host's connection spec. What its ssh_config block says but cannot be used (a `Port` that is
   * no port, a `Match exec` that does not finish) fails this host, as a FleetError of kind `dns`.
   */
  resolve(host: Host): ResolvedSpec {
    const v = host.vars;
    let c: SSHConfigDict | undefined;
    try {
      c = this.#config?.lookup(host.name, { user: v.user, port: v.port, hostName: v.hostname });
    } catch (error) {
      throw new FleetError("dns", `${(error as Error).message}`, "connect", "ssh_config");
    }
    const one = (k: string): string | undefined => c?.getString(k);
    const identity = v.identity_file === undefined ? (c?.getList("identityfile") ?? []) : Array.isArray(v.identity_file) ? v.identity_file : [v.identity_file];
    const knownHosts = v["known_hosts"];
    const proxyJump = v.proxy_jump ?? one("proxyjump");
    const hostname = v.hostname ?? one("hostname") ?? host.name;
    const port = v.port ?? this.#port(host, one("port")) ?? 22;
    const username = v.user ?? one("user") ?? this.#options.user ?? userInfo().username;
    // ssh_config's has its tokens expanded by the lookup; the inventory's gets the same ones here.
    const tokens: Record<string, string> = { h: hostname, p: String(port), r: username, n: host.name, "%": "%" };
    const proxyCommand = v.proxy_command?.replace(/%(.)/g, (all, token: string) => tokens[token] ?? all) ?? one("proxycommand");
    return {
      name: host.name,
      hostname,
      port,
      username,
      identityFiles: identity.map(expandHome),
      passwordEnv: v.password_env,
      connectTimeout: this.#options.connectTimeout ?? v.connect_timeout ?? this.#seconds(host, one("connecttimeout")) ?? this.#options.defaultConnectTimeout ?? DEFAULT_CONNECT_TIMEOUT,
      // OpenSSH takes one of the two, ProxyJump first; `none` turns either off.
      proxyJump: proxyJump && proxyJump.toLowerCase() !== "none" ? proxyJump : undefined,
      proxyCommand: !(proxyJump && proxyJump.toLowerCase() !== "none") && proxyCommand && proxyCommand.toLowerCase() !== "none" ? proxyCommand : undefined,
      knownHosts: typeof knownHosts === "string" ? [expandHome(knownHosts)] : Array.isArray(knownHosts) ? knownHosts.map(String).map(expandHome) : undefined,
    };
  }

  #port(host: Host, value: string | undefined): number | undefined {
    if (value === undefined) return undefined;
    const port = Number(value);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new FleetError("dns", `${this.#file}: Port for ${host.name} is not a port from 1 to 65535: ${JSON.stringify(value)}`, "connect", "ssh_config");
    return port;
  }

  #seconds(host: Host, value: string | undefined): number | undefined {
    if (value === undefined) return undefined;
    const seconds = Number(value);
    if (!Number.isFinite(seconds) || seconds <= 0) throw new FleetError("dns", `${this.#file}: ConnectTimeout for ${host.name} is not a number of seconds: ${JSON.stringify(value)}`, "connect", "ssh_config");
    return seconds * 1000;
  }
}

function readConfig(file: string): SSHConfig {
  try {
    return SSHConfig.fromPathSync(file);
  } catch (error) {
    if (error instanceof ConfigParseError) throw error;
    // The file, or a file it includes, cannot be read (a folder, no permission).
    throw new ConfigParseError(`Cannot read ssh_config ${file}: ${(error as Error).message}`);
  }
}
