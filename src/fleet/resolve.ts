/**
 * From an inventory host to a connection spec: the host's vars first, then ~/.ssh/config under them
 * (as OpenSSH applies it: the first value wins), then the fleet's defaults.
 */
import { readFileSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import type { Host } from "./host.js";
import type { ConnectSpec } from "./connection.js";

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

type Computed = Record<string, string | string[] | undefined>;

export class SpecResolver {
  readonly #config: { compute(host: string): Computed } | null;
  readonly #options: ResolveOptions;

  constructor(options: ResolveOptions = {}) {
    this.#options = options;
    this.#config = loadSshConfig(options.sshConfig);
  }

  resolve(host: Host): ConnectSpec & { proxyJump?: string | undefined; knownHosts?: string[] | undefined } {
    const v = host.vars;
    const c = this.#config?.compute(host.name) ?? {};
    const one = (k: string): string | undefined => {
      const x = c[k];
      return Array.isArray(x) ? x[0] : x;
    };
    const list = (k: string): string[] => {
      const x = c[k];
      return x === undefined ? [] : Array.isArray(x) ? x : [x];
    };
    const identity = v.identity_file === undefined ? list("IdentityFile") : Array.isArray(v.identity_file) ? v.identity_file : [v.identity_file];
    const cfgTimeout = one("ConnectTimeout");
    const knownHosts = v["known_hosts"];
    const proxyJump = v.proxy_jump ?? one("ProxyJump");
    return {
      name: host.name,
      hostname: v.hostname ?? one("HostName") ?? host.name,
      port: v.port ?? (one("Port") ? Number(one("Port")) : 22),
      username: v.user ?? one("User") ?? this.#options.user ?? userInfo().username,
      identityFiles: identity.map(expandHome),
      passwordEnv: v.password_env,
      connectTimeout: this.#options.connectTimeout ?? v.connect_timeout ?? (cfgTimeout ? Number(cfgTimeout) * 1000 : undefined) ?? this.#options.defaultConnectTimeout ?? DEFAULT_CONNECT_TIMEOUT,
      proxyJump: proxyJump && proxyJump !== "none" ? proxyJump : undefined,
      knownHosts: typeof knownHosts === "string" ? [expandHome(knownHosts)] : Array.isArray(knownHosts) ? knownHosts.map(String).map(expandHome) : undefined,
    };
  }
}

function expandHome(p: string): string {
  return p.startsWith("~/") ? join(homedir(), p.slice(2)) : p;
}

function loadSshConfig(path: string | false | undefined): { compute(host: string): Computed } | null {
  if (path === false) return null;
  const file = path ?? join(homedir(), ".ssh", "config");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return null;
  }
  // Loaded only when there is a config to read (it costs memory every run otherwise).
  const { parse } = createRequire(import.meta.url)("ssh-config") as { parse(text: string): { compute(host: string): Computed } };
  return parse(text);
}
