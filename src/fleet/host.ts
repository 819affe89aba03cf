/** A host of the fleet, as the inventory resolved it. */

/** The variables that mean something to shoal; any other key is a free variable, kept as given. */
export interface HostVars {
  /** Login user. */
  user?: string;
  /** SSH port. */
  port?: number;
  /** Address to connect to when it differs from the inventory name (as Ansible's `ansible_host`). */
  hostname?: string;
  /** Private key file(s), tried in order. */
  identity_file?: string | string[];
  /** Name of the environment variable holding this host's password. */
  password_env?: string;
  /** `[user@]host[:port]` of a jump host, as in ssh -J. */
  proxy_jump?: string;
  /** A command whose stdin and stdout carry the connection (`%h`, `%p`, `%r`, `%n` expanded), as ssh's ProxyCommand. */
  proxy_command?: string;
  /** Connect timeout for this host, in milliseconds once resolved (the file takes seconds or `10s`). */
  connect_timeout?: number;
  /** Default number of hosts at a time (read from `defaults`). */
  forks?: number;
  [free: string]: unknown;
}

/** One host: its inventory name, its groups, and its merged variables. */
export interface Host {
  /** The name the inventory (or -H) gave it; output and summaries use it. */
  readonly name: string;
  /** Every group it belongs to, including the parents of its groups. */
  readonly groups: readonly string[];
  /** Its variables after precedence: defaults, groups from the outermost in, its own entry. */
  readonly vars: Readonly<HostVars>;
}

/** A host from a bare name, with the given defaults (for `-H`, `-h FILE`, and library use). */
export function adHocHost(name: string, vars: HostVars = {}): Host {
  return { name, groups: [], vars: { ...vars } };
}
