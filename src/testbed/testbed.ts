/**
 * The embedded SSH fleet: N real SSH hosts in this process, each on its own loopback address
 * with its own host key, name and directory, for demos, tests and trying scripts without a fleet.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loopbackAddress } from "./addresses.js";
import { pickIndexes, seededRandom, type HostFaults } from "./faults.js";
import { HostServer, type HostConfig } from "./host.js";
import { ShellPool } from "./shell-pool.js";
import { inventoryYaml } from "./inventory.js";
import { fingerprint, generateKeyPair, knownHostsLine, type KeyPair } from "./keys.js";
import { defaultGroups, groupHostNames } from "./layout.js";
import type { TestbedHost } from "./testbed-host.js";

/** Hosts to make faulty at random, by count, and the seed that picks them. */
export interface RandomFaults {
  refuse?: number;
  hang?: number;
  authFail?: number;
  drop?: number;
  /** The same seed picks the same hosts (default: a random seed). */
  seed?: number;
}

/** Options of `startTestbed`. */
export interface TestbedOptions {
  /** Number of hosts, split into the groups web, db and cache (default 8). Ignored when `groups` is given. */
  hosts?: number;
  /** Hosts per group, in order: `{ web: 20, db: 6 }` makes web01…web20 then db01…db06. */
  groups?: Readonly<Record<string, number>>;
  /** The first host's loopback address; the others follow (default `127.0.10.1`). */
  address?: string;
  /** The port every host listens on, each on its own address (default 0: one free port, picked once). */
  port?: number;
  /** The login user (default `shoal`; with per-host credentials, a prefix: `shoal-web01`). */
  user?: string;
  /** `shared` (default): one user, key and password for every host. `per-host`: each host its own. */
  credentials?: "shared" | "per-host";
  /** Faults by host name: `{ web03: { hang: true }, db01: { latency: 200 } }`. */
  faults?: Readonly<Record<string, HostFaults>>;
  /** Faults on hosts picked at random (never a host named in `faults`). */
  random?: RandomFaults;
  /** Milliseconds of latency added on every host (a host's own `latency` fault wins). */
  latency?: number;
  /** Bandwidth cap of every host in MB/s (a host's own `slow` fault wins). */
  slow?: number;
  /** Where to keep the testbed's files (made if missing, kept by `stop()`); default a new temporary folder, removed by `stop()`. */
  dir?: string;
  /** The environment variable the inventory names for the password (default `SHOAL_TESTBED_PASSWORD`). */
  passwordEnv?: string;
}

/** A running testbed. Stop it with `await testbed.stop()` or `await using testbed = await startTestbed(...)`. */
export class Testbed {
  /** Every host, in inventory order. */
  readonly hosts: readonly TestbedHost[];
  /** The folder holding the keys, known_hosts, inventory and host directories. */
  readonly dir: string;
  /** The port the hosts listen on. */
  readonly port: number;
  /** The shared login user (with per-host credentials, each host's `user` differs). */
  readonly user: string;
  /** The shared password (with per-host credentials, each host's `password` differs). */
  readonly password: string;
  /** The environment variable the inventory names for the shared password. */
  readonly passwordEnv: string;
  /** The shared client private key file. */
  readonly identityFile: string;
  /** An OpenSSH known_hosts file with every host's key, for strict host-key checking. */
  readonly knownHostsFile: string;
  /** The inventory file (shoal's YAML format). */
  readonly inventoryFile: string;
  readonly #servers: Map<string, HostServer>;
  readonly #shells: ShellPool;
  readonly #removeDir: boolean;
  readonly #inventory: string;
  readonly #knownHosts: string;
  #stopped: Promise<void> | undefined;

  /** @internal Use `startTestbed`. */
  constructor(init: {
    hosts: TestbedHost[];
    servers: Map<string, HostServer>;
    shells: ShellPool;
    dir: string;
    removeDir: boolean;
    port: number;
    user: string;
    password: string;
    passwordEnv: string;
    identityFile: string;
    knownHostsFile: string;
    inventoryFile: string;
    inventory: string;
    knownHosts: string;
  }) {
    this.hosts = init.hosts;
    this.#servers = init.servers;
    this.#shells = init.shells;
    this.dir = init.dir;
    this.#removeDir = init.removeDir;
    this.port = init.port;
    this.user = init.user;
    this.password = init.password;
    this.passwordEnv = init.passwordEnv;
    this.identityFile = init.identityFile;
    this.knownHostsFile = init.knownHostsFile;
    this.inventoryFile = init.inventoryFile;
    this.#inventory = init.inventory;
    this.#knownHosts = init.knownHosts;
  }

  /** The inventory text (also in `inventoryFile`). */
  inventory(): string {
    return this.#inventory;
  }

  /** The known_hosts text (also in `knownHostsFile`). */
  knownHosts(): string {
    return this.#knownHosts;
  }

  /** The environment a client needs for password logins: `{ SHOAL_TESTBED_PASSWORD: "..." }` (one entry per host with per-host credentials). */
  env(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const host of this.hosts) env[host.passwordEnv] = host.password;
    return env;
  }

  /** The host named `name`; throws a RangeError naming it when there is none. */
  host(name: string): TestbedHost {
    const host = this.hosts.find((h) => h.name === name);
    if (host === undefined) throw new RangeError(`Cannot find testbed host: no host is named ${JSON.stringify(name)}`);
    return host;
  }

  /**
   * Fills the testbed's warm shells and resolves once they are all ready: commands started then
   * begin without a fork of this process (see ShellPool). The pool also fills by itself, in the
   * background, from the first command on; benchmarks and latency measurements await this first.
   */
  warm(): Promise<void> {
    return this.#shells.fill();
  }

  /** TCP connections a host has accepted so far (0 for a refusing host). */
  connectionCount(name: string): number {
    this.host(name);
    return this.#servers.get(name)?.connections ?? 0;
  }

  /** Closes every listener, connection and running command, then removes the temporary folder. Safe to call twice. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      try {
        this.#shells.close();
        await Promise.all([...this.#servers.values()].map((server) => server.stop()));
      } finally {
        // The folder holds the client's private key: it goes whatever else failed.
        if (this.#removeDir) await rm(this.dir, { recursive: true, force: true, maxRetries: 3 });
      }
    })();
    return this.#stopped;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/**
 * Starts a testbed: generates keys, writes the inventory and known_hosts, and listens on every
 * host's address. Resolves once every host accepts connections.
 */
export async function startTestbed(options: TestbedOptions = {}): Promise<Testbed> {
  const groups = options.groups ?? defaultGroups(options.hosts ?? 8);
  const layout: { name: string; group: string }[] = [];
  for (const [group, count] of Object.entries(groups)) {
    if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(group)) throw new TypeError(`Testbed group name must start with a letter: got ${JSON.stringify(group)}`);
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`Testbed group ${group} must have a whole number of hosts: got ${count}`);
    for (const name of groupHostNames(group, count)) layout.push({ name, group });
  }
  if (layout.length === 0) throw new RangeError("Cannot start a testbed: it would have no hosts");
  const faults = planFaults(
    layout.map((h) => h.name),
    options,
  );

  const removeDir = options.dir === undefined;
  if (options.dir !== undefined) await mkdir(options.dir, { recursive: true });
  const dir = await realpath(options.dir ?? (await mkdtemp(join(tmpdir(), "shoal-testbed-"))));
  try {
    return await build(dir, removeDir, layout, faults, options);
  } catch (error) {
    if (removeDir) await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function build(
  dir: string,
  removeDir: boolean,
  layout: readonly { name: string; group: string }[],
  faults: readonly HostFaults[],
  options: TestbedOptions,
): Promise<Testbed> {
  const first = options.address ?? "127.0.10.1";
  const baseUser = options.user ?? "shoal";
  const perHost = options.credentials === "per-host";
  const passwordEnv = options.passwordEnv ?? "SHOAL_TESTBED_PASSWORD";
  const binDir = join(dir, "bin");
  const keysDir = join(dir, "keys");
  await Promise.all([mkdir(binDir, { recursive: true }), mkdir(keysDir, { recursive: true, mode: 0o700 }), mkdir(join(dir, "hosts"), { recursive: true })]);
  // `hostname` on a testbed host prints the host's own name, so per-host output differs as on a real fleet.
  await writeFile(join(binDir, "hostname"), '#!/bin/sh\necho "${SHOAL_HOST:-$(uname -n)}"\n', { mode: 0o755 });

  const shared = { password: secret(), key: generateKeyPair(`${baseUser}@shoal-testbed`) };
  const identityFile = join(keysDir, "id_ed25519");
  await writeKey(identityFile, shared.key);

  // Enough warm shells for a command on every host at once, up to a fleet tool's usual forks.
  const shells = new ShellPool(Math.min(64, layout.length));
  const configs: HostConfig[] = [];
  const hosts: TestbedHost[] = [];
  await Promise.all(
    layout.map(async ({ name, group }, index) => {
      const hostDir = join(dir, "hosts", name);
      // A --dir kept from an earlier start is used again (its files are rewritten below).
      await mkdir(hostDir, { recursive: true });
      const hostKey = generateKeyPair(`root@${name}`);
      const user = perHost ? `${baseUser}-${name}` : baseUser;
      const password = perHost ? secret() : shared.password;
      const clientKey = perHost ? generateKeyPair(`${user}@shoal-testbed`) : shared.key;
      const hostIdentity = perHost ? join(keysDir, `id_ed25519_${name}`) : identityFile;
      if (perHost) await writeKey(hostIdentity, clientKey);
      configs[index] = {
        name,
        address: loopbackAddress(first, index),
        port: 0,
        dir: hostDir,
        binDir,
        hostPrivateKey: hostKey.privateKey,
        credentials: { user, password, publicKey: clientKey.publicKey },
        faults: faults[index]!,
        shells,
      };
      hosts[index] = {
        name,
        group,
        address: configs[index]!.address,
        port: 0,
        dir: hostDir,
        user,
        password,
        passwordEnv: perHost ? `${passwordEnv}_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}` : passwordEnv,
        identityFile: hostIdentity,
        hostKey: hostKey.publicKey,
        fingerprint: fingerprint(hostKey.publicKey),
        faults: faults[index]!,
      };
    }),
  );

  const { port, servers } = await listenAll(configs, options.port ?? 0).catch((error: unknown) => {
    shells.close();
    throw error;
  });
  const finalHosts = hosts.map((h) => ({ ...h, port }));
  const knownHosts = finalHosts.map((h) => knownHostsLine([h.name, h.address], port, h.hostKey)).join("\n") + "\n";
  const knownHostsFile = join(dir, "known_hosts");
  const inventoryFile = join(dir, "inventory.yml");
  const inventory = inventoryYaml(finalHosts, { port, user: baseUser, identityFile, knownHostsFile, passwordEnv, perHost });
  await Promise.all([writeFile(knownHostsFile, knownHosts), writeFile(inventoryFile, inventory)]);
  return new Testbed({
    hosts: finalHosts,
    servers,
    shells,
    dir,
    removeDir,
    port,
    user: baseUser,
    password: shared.password,
    passwordEnv,
    identityFile,
    knownHostsFile,
    inventoryFile,
    inventory,
    knownHosts,
  });
}

/**
 * Listens on every host's address with one port. With port 0, a free port is picked on the first
 * address and used for all; if another program holds it on some address, a new one is picked.
 */
async function listenAll(configs: HostConfig[], wanted: number): Promise<{ port: number; servers: Map<string, HostServer> }> {
  for (let attempt = 1; ; attempt++) {
    const port = wanted === 0 ? await freePort(configs[0]!.address) : wanted;
    const servers = new Map(configs.map((c) => [c.name, new HostServer({ ...c, port })] as const));
    const results = await Promise.allSettled([...servers.values()].map((s) => s.start()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed === undefined) return { port, servers };
    await Promise.all([...servers.values()].map((s) => s.stop()));
    const code = (failed.reason as NodeJS.ErrnoException).code;
    if (wanted !== 0 || code !== "EADDRINUSE" || attempt >= 5) {
      throw new Error(`Cannot start the testbed: cannot listen on port ${port}: ${(failed.reason as Error).message}`, { cause: failed.reason });
    }
  }
}

function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen({ host: address, port: 0 }, () => {
      const bound = probe.address();
      const port = typeof bound === "object" && bound !== null ? bound.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Each host's faults: the named ones, the random picks, and the fleet-wide latency and bandwidth. */
function planFaults(names: readonly string[], options: TestbedOptions): HostFaults[] {
  const faults: HostFaults[] = names.map(() => ({}));
  const index = new Map(names.map((n, i) => [n, i]));
  const taken = new Set<number>();
  for (const [name, hostFaults] of Object.entries(options.faults ?? {})) {
    const i = index.get(name);
    if (i === undefined) throw new RangeError(`Cannot set faults on ${JSON.stringify(name)}: the testbed has no such host (hosts are ${names[0]} … ${names[names.length - 1]})`);
    faults[i] = { ...hostFaults };
    taken.add(i);
  }
  const random = options.random ?? {};
  const next = seededRandom(random.seed ?? randomBytes(4).readUInt32BE());
  const kinds = [
    ["refuse", random.refuse],
    ["hang", random.hang],
    ["authFail", random.authFail],
    ["drop", random.drop],
  ] as const;
  for (const [kind, count] of kinds) {
    if (count === undefined || count === 0) continue;
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`Random ${kind} faults must be a whole number of hosts: got ${count}`);
    for (const i of pickIndexes(names.length, count, taken, next)) {
      faults[i] = { ...faults[i], [kind]: true };
      taken.add(i);
    }
  }
  for (const f of faults) {
    if (f.latency === undefined && options.latency !== undefined) f.latency = options.latency;
    if (f.slow === undefined && options.slow !== undefined) f.slow = options.slow;
  }
  return faults;
}

function secret(): string {
  return randomBytes(12).toString("base64url");
}

async function writeKey(path: string, key: KeyPair): Promise<void> {
  // OpenSSH refuses private keys that others can read.
  await writeFile(path, key.privateKey, { mode: 0o600 });
  await chmod(path, 0o600);
  await writeFile(`${path}.pub`, key.publicKey + "\n");
}
