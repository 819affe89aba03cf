/**
 * Host patterns: what `shoal run PATTERN` and `inventory.select(PATTERN)` accept.
 *
 * A comma-separated list of items. A plain item adds hosts; `&item` keeps only hosts that also match
 * it; `!item` removes hosts. An item is `all` (or `*`), `@group`, `@last.failed` (a saved set), a
 * glob on host names (`web*`, `db?`), a range (`web[01-05]`), or a host name.
 */
import type { Host } from "./host.js";
import { adHocHost } from "./host.js";
import { HostRangeError, checkHostNames, expandHostRange, splitTopLevel } from "./host-range.js";
import { PatternError } from "./inventory-error.js";
import type { Inventory } from "./inventory.js";
import type { SavedHost } from "./last-sets.js";

export interface SelectOptions {
  /** Saved host sets by name, without the `@` (`last.failed` -> names), as the CLI keeps them. */
  sets?: ReadonlyMap<string, readonly string[]> | undefined;
  /**
   * How the run that saved the sets reached hosts other than as the inventory says (`loadSavedSets`):
   * a set's name found here is selected with that user and port, even when the inventory lacks it.
   * Without it, a set may name only the inventory's hosts.
   */
  savedHosts?: ReadonlyMap<string, SavedHost> | undefined;
  /** Take names the inventory does not know as ad hoc hosts (with the defaults) instead of refusing them. */
  adHoc?: boolean | undefined;
  /** What to do about a name the inventory lacks, said when refusing it (default: the `adHoc` option; the CLI says `-H`). */
  unknownHint?: string | undefined;
}

/** Whether a pattern item uses glob characters. */
function isGlob(text: string): boolean {
  return /[*?]/.test(text);
}

/** A glob (`*` any run, `?` one character) as an anchored RegExp. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|\\[\]]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

export function selectHosts(inventory: Inventory, pattern: string, options: SelectOptions = {}): Host[] {
  const items = splitTopLevel(pattern);
  if (items.length === 0) throw new PatternError(`Invalid host pattern ${JSON.stringify(pattern)}: expected a group, host, glob or range`, pattern);
  const added = new Map<string, Host>();
  const intersections: Set<string>[] = [];
  const excluded = new Set<string>();
  const adHoc = new Map<string, Host>();
  for (const raw of items) {
    const op = raw[0] === "!" || raw[0] === "&" ? raw[0] : "";
    const item = op ? raw.slice(1).trim() : raw;
    if (item === "") throw new PatternError(`Invalid host pattern ${JSON.stringify(pattern)}: "${op}" must be followed by a group, host, glob or range`, pattern);
    const twice = /^[&!]+/.exec(item);
    if (twice) {
      // "&!web01" ("and not") is an exclusion, and "!!web01" most likely one too: one operator is written.
      const fixed = (op + twice[0]).includes("!") ? "!" : "&";
      throw new PatternError(`Invalid host pattern ${JSON.stringify(pattern)}: "${op + twice[0]}" puts operators in a row; an item takes one (write ${JSON.stringify(pattern.replace(raw, fixed + item.slice(twice[0].length)))})`, pattern);
    }
    const inner = /[&!]/.exec(item);
    if (inner) {
      // "@prod&!web03" meant "in @prod and not web03": "&!" is an exclusion.
      const fixed = op + item.replace(/[&!]+/g, (m) => (m.includes("!") ? ",!" : ",&"));
      throw new PatternError(`Invalid host pattern ${JSON.stringify(pattern)}: "${inner[0]}" begins an item of the comma-separated list (write ${JSON.stringify(pattern.replace(raw, fixed))})`, pattern);
    }
    const hosts = resolveItem(inventory, item, pattern, options, adHoc);
    if (op === "!") for (const h of hosts) excluded.add(h.name);
    else if (op === "&") intersections.push(new Set(hosts.map((h) => h.name)));
    else for (const h of hosts) added.set(h.name, h);
  }
  // Only intersections and exclusions: start from every host.
  if (added.size === 0 && items.every((i) => i[0] === "!" || i[0] === "&")) for (const h of inventory.hosts) added.set(h.name, h);
  const order = new Map(inventory.hosts.map((h, i) => [h.name, i]));
  return [...added.values()]
    .filter((h) => !excluded.has(h.name) && intersections.every((s) => s.has(h.name)))
    .sort((a, b) => (order.get(a.name) ?? Infinity) - (order.get(b.name) ?? Infinity));
}

function resolveItem(inventory: Inventory, item: string, pattern: string, options: SelectOptions, adHoc: Map<string, Host>): Host[] {
  if (item === "all" || item === "*") return inventory.hosts;
  if (item.startsWith("@")) {
    const name = item.slice(1);
    const saved = options.sets?.get(name);
    if (saved) return savedSet(inventory, item, saved, pattern, options, adHoc);
    if (name.startsWith("last.")) {
      throw new PatternError(`Unknown host set "${item}": no previous run saved it (known sets: ${[...(options.sets?.keys() ?? [])].map((k) => "@" + k).join(", ") || "none"})`, pattern);
    }
    if (isGlob(name)) {
      const re = globToRegExp(name);
      const groups = inventory.groups.filter((g) => re.test(g.name));
      if (groups.length === 0) throw new PatternError(`No group matches "${item}"`, pattern);
      return groups.flatMap((g) => inventory.members(g.name)!);
    }
    const members = inventory.members(name);
    if (!members) {
      if (inventory.path === null) throw new PatternError(`Unknown group "${item}": no inventory was loaded, so there are no groups`, pattern);
      const known = inventory.groups.map((g) => "@" + g.name);
      throw new PatternError(`Unknown group "${item}": expected one of ${known.length ? known.join(", ") : `(the inventory ${inventory.path} has no groups)`}`, pattern);
    }
    return members;
  }
  if (isGlob(item)) {
    const re = globToRegExp(item);
    return inventory.hosts.filter((h) => re.test(h.name));
  }
  let names: string[];
  try {
    names = expandHostRange(item);
  } catch (err) {
    if (err instanceof HostRangeError) throw new PatternError(err.message, pattern);
    throw err;
  }
  const unknown = names.filter((n) => !inventory.get(n));
  if (unknown.length > 0 && !options.adHoc) {
    const where = inventory.path === null ? "no inventory was loaded" : `not in the inventory ${inventory.path}`;
    throw new PatternError(`Unknown host${unknown.length > 1 ? "s" : ""} ${listed(unknown)}: ${where} (${options.unknownHint ?? "select with { adHoc: true } to take such names as ad hoc hosts"})`, pattern);
  }
  if (unknown.length > 0) {
    // Taken as hosts, they must be names an inventory could hold (-H checks the same).
    try {
      checkHostNames(item);
    } catch (err) {
      if (err instanceof HostRangeError) throw new PatternError(`${err.message}${/^[^:]*:\d+$/.test(item) ? ` (a port goes with -H ${item}, or in an inventory)` : ""}`, pattern);
      throw err;
    }
  }
  return names.map((n) => inventory.get(n) ?? adHocOf(inventory, n, adHoc));
}

/**
 * A saved set's hosts: the inventory's, and those the saving run reached otherwise, as it reached
 * them. A name that is neither is refused: the set was saved on another inventory, and a bare name
 * would go to port 22 as the default user, not where the run went.
 */
function savedSet(inventory: Inventory, item: string, names: readonly string[], pattern: string, options: SelectOptions, adHoc: Map<string, Host>): Host[] {
  const out: Host[] = [];
  const missing: string[] = [];
  for (const name of names) {
    const how = options.savedHosts?.get(name);
    const known = inventory.get(name);
    if (known) out.push(how ? { ...known, vars: { ...known.vars, ...how } } : known);
    else if (how) out.push(adHocOf(inventory, name, adHoc, how));
    // Without an inventory every name is an ad hoc host (a set saved by an older shoal, which kept
    // no users or ports, has only names).
    else if (options.adHoc && inventory.path === null) out.push(adHocOf(inventory, name, adHoc));
    else missing.push(name);
  }
  if (missing.length > 0) {
    const are = missing.length > 1 ? "are" : "is";
    const why = inventory.path === null ? `${are} not among the ad hoc hosts of the run that saved it, and no inventory was loaded` : `${are} not in the inventory ${inventory.path} (the run that saved it had other hosts)`;
    throw new PatternError(`Cannot select "${item}": ${listed(missing)} ${why}`, pattern);
  }
  return out;
}

function listed(names: readonly string[]): string {
  return names.slice(0, 5).join(", ") + (names.length > 5 ? `, and ${names.length - 5} more` : "");
}

function adHocOf(inventory: Inventory, name: string, cache: Map<string, Host>, how: SavedHost = {}): Host {
  let h = cache.get(name);
  if (!h) cache.set(name, (h = adHocHost(name, { ...inventory.defaults, ...how })));
  return h;
}
