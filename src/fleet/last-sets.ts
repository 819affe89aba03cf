/**
 * Host sets saved by each run, so that `shoal run @last.failed -- CMD` reruns exactly those hosts.
 *
 * `last.all`, `last.ok`, `last.failed` (every host that was not ok), and one per final state that
 * occurred: `last.nonzero` (the command exited non-zero), `last.timeout`, `last.unreachable`,
 * `last.auth`, `last.hostkey`, `last.killed`. Kept in `$SHOAL_STATE_DIR/last.json`
 * (default `$XDG_STATE_HOME/shoal`, or `~/.local/state/shoal`).
 *
 * The file maps each set to its host names; under `hosts` it keeps how the run reached the hosts
 * its inventory did not hold, or not as the inventory says (`-H user@host:port`). Files from before
 * `hosts` was kept load as they are, their names then all being taken as inventory names.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import type { HostResult } from "./events.js";
import type { Host } from "./host.js";
import type { Inventory } from "./inventory.js";

/** `$SHOAL_STATE_DIR`, else `$XDG_STATE_HOME/shoal` (ignored when relative, as the XDG spec says), else `~/.local/state/shoal`. */
export function stateDir(): string {
  const xdg = process.env["XDG_STATE_HOME"];
  return process.env["SHOAL_STATE_DIR"] ?? join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), ".local", "state"), "shoal");
}

/** How a run reached a host other than as its inventory says: a rerun of a saved set goes the same way. */
export interface SavedHost {
  user?: string;
  port?: number;
}

/** The sets saved by the last run, and how it reached the hosts that were not (only) the inventory's. */
export interface SavedSets {
  sets: Map<string, string[]>;
  hosts: Map<string, SavedHost>;
}

/** The key of `last.json` under which the hosts are kept: no set is named so (they are all `last.*`). */
const HOSTS_KEY = "hosts";

/**
 * Of the hosts a run is given, those a rerun of a saved set would not find as `inventory` has them:
 * those it lacks (with the user and port they are reached with), and those whose user or port -H
 * (or a saved set) changed. What `saveSets` keeps, and `selectHosts` takes back as `savedHosts`.
 */
export function savedHostsOf(hosts: Iterable<Host>, inventory: Inventory): Map<string, SavedHost> {
  const saved = new Map<string, SavedHost>();
  for (const h of hosts) {
    const base = inventory.get(h.name)?.vars;
    const how: SavedHost = {};
    if (typeof h.vars.user === "string" && h.vars.user !== base?.user) how.user = h.vars.user;
    if (typeof h.vars.port === "number" && h.vars.port !== base?.port) how.port = h.vars.port;
    if (!base || Object.keys(how).length > 0) saved.set(h.name, how);
  }
  return saved;
}

/** The sets a run's results make, by name (without `@`). */
export function setsOf(results: readonly HostResult[]): Map<string, string[]> {
  const sets = new Map<string, string[]>([
    ["last.all", []],
    ["last.ok", []],
    ["last.failed", []],
  ]);
  for (const r of results) {
    sets.get("last.all")!.push(r.host);
    if (r.state === "ok") sets.get("last.ok")!.push(r.host);
    else {
      sets.get("last.failed")!.push(r.host);
      const name = r.state === "failed" ? "last.nonzero" : `last.${r.state}`;
      if (!sets.has(name)) sets.set(name, []);
      sets.get(name)!.push(r.host);
    }
  }
  return sets;
}

/** Saves the sets, with `hosts`: how the run reached those of its hosts that were not (only) the inventory's. */
export async function saveSets(sets: ReadonlyMap<string, readonly string[]>, dir = stateDir(), hosts: ReadonlyMap<string, SavedHost> = new Map()): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, "last.json");
  const tmp = `${file}.${process.pid}.tmp`;
  const data: Record<string, unknown> = Object.fromEntries(sets);
  if (hosts.size > 0) data[HOSTS_KEY] = Object.fromEntries(hosts);
  await writeFile(tmp, JSON.stringify(data) + "\n");
  await rename(tmp, file);
}

/** The sets alone, by name. */
export async function loadSets(dir = stateDir()): Promise<Map<string, string[]>> {
  return (await loadSavedSets(dir)).sets;
}

/** The sets and the hosts saved with them; empty when nothing was saved (or the file is unreadable). */
export async function loadSavedSets(dir = stateDir()): Promise<SavedSets> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(join(dir, "last.json"), "utf8"));
  } catch {
    data = undefined;
  }
  // A file that holds no object (null, a list: written by hand, or cut) counts as nothing saved.
  if (typeof data !== "object" || data === null || Array.isArray(data)) return { sets: new Map(), hosts: new Map() };
  const sets = new Map(Object.entries(data).filter((e): e is [string, string[]] => Array.isArray(e[1]) && e[1].every((x) => typeof x === "string")));
  const hosts = new Map<string, SavedHost>();
  const saved = (data as Record<string, unknown>)[HOSTS_KEY];
  if (typeof saved === "object" && saved !== null && !Array.isArray(saved)) {
    for (const [name, value] of Object.entries(saved as Record<string, unknown>)) {
      if (typeof value !== "object" || value === null) continue;
      const { user, port } = value as Record<string, unknown>;
      const host: SavedHost = {};
      if (typeof user === "string" && user !== "") host.user = user;
      if (Number.isInteger(port) && (port as number) >= 1 && (port as number) <= 65535) host.port = port as number;
      hosts.set(name, host);
    }
  }
  return { sets, hosts };
}
