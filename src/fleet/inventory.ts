/**
 * The YAML inventory: groups, nested groups, group and host variables, host ranges.
 *
 * ```yaml
 * defaults: { user: deploy }
 * groups:
 *   web:  { hosts: ["web[01-20].example.com"], vars: { port: 2222 } }
 *   db:
 *     hosts:
 *       - db1.example.com
 *       - { host: db2.example.com, user: admin, password_env: DB2_PASS }
 *   prod: { children: [web, db] }
 * ```
 *
 * A host's variables: `defaults`, then each of its groups from the outermost in, then its own entry.
 */
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from "yaml";
import type { Node as YamlNode, Pair, YAMLMap } from "yaml";
import { adHocHost } from "./host.js";
import type { Host, HostVars } from "./host.js";
import { HostRangeError, expandHostRange } from "./host-range.js";
import { InventoryError } from "./inventory-error.js";
import { parseDuration } from "./duration.js";
import { selectHosts } from "./pattern.js";
import type { SelectOptions } from "./pattern.js";

/** A group as the inventory defines it. */
export interface Group {
  readonly name: string;
  /** Hosts listed directly under the group. */
  readonly hosts: readonly string[];
  /** Names of its child groups. */
  readonly children: readonly string[];
  readonly vars: Readonly<HostVars>;
}

const TOP_KEYS = ["defaults", "groups", "hosts"];
const GROUP_KEYS = ["hosts", "vars", "children"];

/** The places searched when no inventory is named: `./shoal.yml`, then `~/.config/shoal/inventory.yml`. */
export function defaultInventoryPaths(): string[] {
  return [join(process.cwd(), "shoal.yml"), join(homedir(), ".config", "shoal", "inventory.yml")];
}

export class Inventory {
  readonly #hosts: Map<string, Host>;
  readonly #groups: Map<string, Group>;
  readonly #members: Map<string, string[]>;
  /** The file it was read from, or `null` for an inventory built in code. */
  readonly path: string | null;
  /** The `defaults` vars (applied to ad hoc hosts too). */
  readonly defaults: Readonly<HostVars>;

  private constructor(path: string | null, defaults: HostVars, hosts: Map<string, Host>, groups: Map<string, Group>, members: Map<string, string[]>) {
    this.path = path;
    this.defaults = defaults;
    this.#hosts = hosts;
    this.#groups = groups;
    this.#members = members;
  }

  /** Reads and checks an inventory file. Rejects `InventoryError` naming the file, line and column. */
  static async load(path: string): Promise<Inventory> {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "it is a folder" : (err as Error).message;
      throw new InventoryError(`Cannot read inventory: ${why}`, path, 0, 0);
    }
    return Inventory.parse(text, path);
  }

  /** Loads the first default inventory that exists, or returns an empty one. */
  static async loadDefault(): Promise<Inventory> {
    for (const p of defaultInventoryPaths()) if (existsSync(p)) return Inventory.load(p);
    return Inventory.fromHosts([]);
  }

  /** Parses inventory text; `file` names it in errors. */
  static parse(text: string, file = "<inventory>"): Inventory {
    return new InventoryParser(text, file).parse();
  }

  /** An inventory of bare names (ranges allowed), as `-H a,b` and `-h FILE` give them. */
  static fromHosts(names: Iterable<string>, defaults: HostVars = {}): Inventory {
    const hosts = new Map<string, Host>();
    for (const n of names) for (const name of expandHostRange(n)) if (!hosts.has(name)) hosts.set(name, adHocHost(name, defaults));
    return new Inventory(null, { ...defaults }, hosts, new Map(), new Map());
  }

  /** All hosts, in the order the file lists them. */
  get hosts(): Host[] {
    return [...this.#hosts.values()];
  }

  /** The groups, in file order. */
  get groups(): Group[] {
    return [...this.#groups.values()];
  }

  /** The host of that name, if the inventory has it. */
  get(name: string): Host | undefined {
    return this.#hosts.get(name);
  }

  /** Every host of a group, children included, in inventory order; `undefined` for an unknown group. */
  members(group: string): Host[] | undefined {
    const names = this.#members.get(group);
    return names?.map((n) => this.#hosts.get(n)!);
  }

  /**
   * The hosts a pattern selects: `@group`, names, globs (`web*`), ranges (`web[01-05]`), lists `a,b`,
   * `!x` to exclude, `&x` to intersect, and `@last.failed`-style saved sets given in `options.sets`.
   * Rejects unknown groups and hosts with a `PatternError` (unless `options.adHoc`).
   */
  select(pattern: string, options: SelectOptions = {}): Host[] {
    return selectHosts(this, pattern, options);
  }

  /** A copy of this inventory with more hosts (bare names get the defaults; existing names keep theirs). */
  withHosts(names: Iterable<string>): Inventory {
    const hosts = new Map(this.#hosts);
    for (const n of names) for (const name of expandHostRange(n)) if (!hosts.has(name)) hosts.set(name, adHocHost(name, this.defaults));
    return new Inventory(this.path, { ...this.defaults }, hosts, this.#groups, this.#members);
  }

  /** @internal used by the parser. */
  static _build(path: string, defaults: HostVars, hosts: Map<string, Host>, groups: Map<string, Group>, members: Map<string, string[]>): Inventory {
    return new Inventory(path, defaults, hosts, groups, members);
  }
}

interface HostEntry {
  name: string;
  vars: HostVars;
}

/** Walks the YAML nodes so that every error can point at its line and column. */
class InventoryParser {
  readonly #text: string;
  readonly #file: string;
  readonly #lines = new LineCounter();

  constructor(text: string, file: string) {
    this.#text = text;
    this.#file = file;
  }

  parse(): Inventory {
    const doc = parseDocument(this.#text, { lineCounter: this.#lines, prettyErrors: false, uniqueKeys: true });
    const first = doc.errors[0];
    if (first) {
      const pos = first.linePos?.[0] ?? this.#lines.linePos(first.pos[0]);
      throw new InventoryError(`Invalid YAML: ${first.message.split("\n")[0]}`, this.#file, pos.line, pos.col);
    }
    const root = doc.contents;
    const defaults: HostVars = {};
    const groupEntries = new Map<string, { hosts: HostEntry[]; children: string[]; childNodes: YamlNode[]; vars: HostVars; node: YamlNode }>();
    const ungrouped: HostEntry[] = [];
    if (root === null || (isScalar(root) && root.value === null)) return Inventory._build(this.#file, defaults, new Map(), new Map(), new Map());
    const top = this.#map(root, "a mapping with the keys defaults, groups, hosts");
    for (const pair of top.items) {
      const key = this.#key(pair, TOP_KEYS);
      if (key === "defaults") Object.assign(defaults, this.#vars(pair.value as YamlNode, pair));
      else if (key === "hosts") appendAll(ungrouped, this.#hostList(pair.value as YamlNode, pair));
      else if (key === "groups") {
        if (pair.value === null || (isScalar(pair.value) && pair.value.value === null)) continue;
        const groups = this.#map(pair.value as YamlNode, "a mapping of group names to groups");
        for (const g of groups.items) {
          const name = this.#key(g);
          if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith("last.")) {
            this.#fail(g.key as YamlNode, `Invalid group name ${JSON.stringify(name)}: expected letters, digits, "_", "-" or "." (and not "last.")`);
          }
          const entry = { hosts: [] as HostEntry[], children: [] as string[], childNodes: [] as YamlNode[], vars: {} as HostVars, node: g.key as YamlNode };
          groupEntries.set(name, entry);
          if (g.value === null || (isScalar(g.value) && g.value.value === null)) continue;
          const body = this.#map(g.value as YamlNode, "a mapping with the keys hosts, vars, children");
          for (const field of body.items) {
            const fk = this.#key(field, GROUP_KEYS);
            if (fk === "hosts") appendAll(entry.hosts, this.#hostList(field.value as YamlNode, field));
            else if (fk === "vars") Object.assign(entry.vars, this.#vars(field.value as YamlNode, field));
            else {
              const seq = field.value as YamlNode;
              if (!isSeq(seq)) this.#fail(seq ?? field.key, "Invalid children: expected a list of group names");
              for (const item of seq.items as YamlNode[]) {
                if (!isScalar(item) || typeof item.value !== "string") this.#fail(item, "Invalid child: expected a group name");
                entry.children.push(item.value as string);
                entry.childNodes.push(item);
              }
            }
          }
        }
      }
    }
    // Children must exist, and the group graph must have no cycle.
    for (const [name, g] of groupEntries) {
      g.children.forEach((c, i) => {
        if (!groupEntries.has(c)) this.#fail(g.childNodes[i]!, `Unknown child group ${JSON.stringify(c)} of group ${JSON.stringify(name)}: expected one of ${[...groupEntries.keys()].join(", ")}`);
      });
    }
    const depth = new Map<string, number>();
    const parents = new Map<string, string[]>();
    for (const [name, g] of groupEntries) for (const c of g.children) parents.set(c, [...(parents.get(c) ?? []), name]);
    const depthOf = (name: string, path: string[]): number => {
      const known = depth.get(name);
      if (known !== undefined) return known;
      if (path.includes(name)) {
        this.#fail(groupEntries.get(name)!.node, `Group ${JSON.stringify(name)} contains itself: ${[...path.slice(path.indexOf(name)), name].join(" -> ")}`);
      }
      const ps = parents.get(name) ?? [];
      const d = ps.length === 0 ? 0 : 1 + Math.max(...ps.map((p) => depthOf(p, [...path, name])));
      depth.set(name, d);
      return d;
    };
    for (const name of groupEntries.keys()) depthOf(name, []);
    // Hosts: first appearance fixes the order; the vars of every appearance merge.
    const order: string[] = [];
    const own = new Map<string, HostVars>();
    const direct = new Map<string, Set<string>>();
    const note = (e: HostEntry, group: string | null) => {
      if (!own.has(e.name)) {
        order.push(e.name);
        own.set(e.name, {});
        direct.set(e.name, new Set());
      }
      Object.assign(own.get(e.name)!, e.vars);
      if (group) direct.get(e.name)!.add(group);
    };
    for (const e of ungrouped) note(e, null);
    for (const [name, g] of groupEntries) for (const e of g.hosts) note(e, name);
    const fileOrder = [...groupEntries.keys()];
    const ancestors = (group: string, acc: Set<string>): Set<string> => {
      if (acc.has(group)) return acc;
      acc.add(group);
      for (const p of parents.get(group) ?? []) ancestors(p, acc);
      return acc;
    };
    const hosts = new Map<string, Host>();
    for (const name of order) {
      const all = new Set<string>();
      for (const g of direct.get(name)!) ancestors(g, all);
      const groups = [...all].sort((a, b) => depth.get(a)! - depth.get(b)! || fileOrder.indexOf(a) - fileOrder.indexOf(b));
      const vars: HostVars = { ...defaults };
      for (const g of groups) Object.assign(vars, groupEntries.get(g)!.vars);
      Object.assign(vars, own.get(name));
      hosts.set(name, { name, groups, vars });
    }
    const groups = new Map<string, Group>();
    const members = new Map<string, string[]>();
    for (const [name, g] of groupEntries) {
      groups.set(name, { name, hosts: g.hosts.map((e) => e.name), children: g.children, vars: g.vars });
      members.set(name, order.filter((h) => hosts.get(h)!.groups.includes(name)));
    }
    return Inventory._build(this.#file, defaults, hosts, groups, members);
  }

  #hostList(node: YamlNode | null, pair: Pair): HostEntry[] {
    if (node === null || (isScalar(node) && node.value === null)) return [];
    if (isScalar(node) && typeof node.value === "string") return this.#expand(node.value, node, {});
    if (!isSeq(node)) this.#fail(node ?? (pair.key as YamlNode), "Invalid hosts: expected a list of host names or { host: NAME, ...vars } entries");
    const out: HostEntry[] = [];
    for (const item of node.items as YamlNode[]) {
      if (isScalar(item) && (typeof item.value === "string" || typeof item.value === "number")) {
        appendAll(out, this.#expand(String(item.value), item, {}));
      } else if (isMap(item)) {
        let hostNode: YamlNode | undefined;
        const vars: HostVars = {};
        const rest = (item as YAMLMap).items.filter((p) => {
          if (this.#key(p) === "host") {
            hostNode = p.value as YamlNode;
            return false;
          }
          return true;
        });
        if (!hostNode || !isScalar(hostNode) || typeof hostNode.value !== "string") {
          this.#fail(hostNode ?? item, "Invalid host entry: expected a `host:` key with the host name");
        }
        for (const p of rest) Object.assign(vars, this.#var(p));
        appendAll(out, this.#expand(hostNode.value as string, hostNode, vars));
      } else {
        this.#fail(item, "Invalid host: expected a host name or { host: NAME, ...vars }");
      }
    }
    return out;
  }

  #expand(text: string, node: YamlNode, vars: HostVars): HostEntry[] {
    if (!/^[A-Za-z0-9_.:\-[\],]+$/.test(text)) {
      this.#fail(node, `Invalid host name ${JSON.stringify(text)}: expected letters, digits, ".", "-", "_" and [ranges]`);
    }
    try {
      return expandHostRange(text).map((name) => ({ name, vars }));
    } catch (err) {
      if (err instanceof HostRangeError) {
        const [line, col] = this.#pos(node, err.index + (isScalar(node) && node.type !== "PLAIN" ? 1 : 0));
        throw new InventoryError(err.message, this.#file, line, col);
      }
      throw err;
    }
  }

  #vars(node: YamlNode | null, pair: Pair): HostVars {
    if (node === null || (isScalar(node) && node.value === null)) return {};
    if (!isMap(node)) this.#fail(node ?? (pair.key as YamlNode), "Invalid vars: expected a mapping of variable names to values");
    const vars: HostVars = {};
    for (const p of (node as YAMLMap).items) Object.assign(vars, this.#var(p));
    return vars;
  }

  /** One variable, checked when shoal knows its meaning. */
  #var(pair: Pair): HostVars {
    const key = this.#key(pair);
    const node = pair.value as YamlNode | null;
    const value: unknown = node === null ? null : (node as { toJSON(): unknown }).toJSON();
    const at = node ?? (pair.key as YamlNode);
    const str = (): string => {
      if (typeof value !== "string" || value === "") this.#fail(at, `Invalid ${key}: expected a non-empty string, got ${show(value)}`);
      return value;
    };
    switch (key) {
      case "user":
      case "password_env":
      case "proxy_jump":
      case "proxy_command":
      case "hostname":
        return { [key]: str() };
      case "port":
        if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 65535) this.#fail(at, `Invalid port: expected an integer from 1 to 65535, got ${show(value)}`);
        return { port: value as number };
      case "forks":
        if (!Number.isInteger(value) || (value as number) < 1) this.#fail(at, `Invalid forks: expected a positive integer, got ${show(value)}`);
        return { forks: value as number };
      case "identity_file":
        if (typeof value === "string" && value !== "") return { identity_file: value };
        if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string" && v !== "")) return { identity_file: value as string[] };
        return this.#fail(at, `Invalid identity_file: expected a path or a list of paths, got ${show(value)}`);
      case "connect_timeout":
        if (typeof value === "number" && value > 0) return { connect_timeout: Math.round(value * 1000) };
        if (typeof value === "string") {
          try {
            return { connect_timeout: parseDuration(value, "connect_timeout") };
          } catch {
            /* reported below */
          }
        }
        return this.#fail(at, `Invalid connect_timeout: expected seconds or a duration like 10s or 500ms, got ${show(value)}`);
      case "host":
        return this.#fail(pair.key as YamlNode, `Unexpected key "host": expected it only in a host entry of a hosts list`);
      default:
        return { [key]: value };
    }
  }

  #map(node: YamlNode | null, expected: string): YAMLMap {
    if (!isMap(node)) this.#fail(node, `Invalid ${expected.startsWith("a mapping with") ? "section" : "value"}: expected ${expected}, got ${kind(node)}`);
    return node as YAMLMap;
  }

  #key(pair: Pair, allowed?: readonly string[]): string {
    const k = pair.key as YamlNode;
    if (!isScalar(k) || (typeof k.value !== "string" && typeof k.value !== "number")) this.#fail(k, "Invalid key: expected a plain name");
    const name = String(k.value);
    if (allowed && !allowed.includes(name)) this.#fail(k, `Unknown key ${JSON.stringify(name)}: expected one of ${allowed.join(", ")}`);
    return name;
  }

  #pos(node: YamlNode | null | undefined, offset = 0): [number, number] {
    const start = node?.range?.[0];
    if (start === undefined) return [0, 0];
    const p = this.#lines.linePos(start + offset);
    return [p.line, p.col];
  }

  #fail(node: YamlNode | null | undefined, detail: string): never {
    const [line, col] = this.#pos(node);
    throw new InventoryError(detail, this.#file, line, col);
  }
}

function kind(node: YamlNode | null | undefined): string {
  if (node === null || node === undefined) return "nothing";
  if (isMap(node)) return "a mapping";
  if (isSeq(node)) return "a list";
  if (isScalar(node)) return show(node.value);
  return "something else";
}

function show(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${String(value)}`;
}

/** `target.push(...items)` without spreading: a range of 200,000 hosts would overflow the call stack. */
function appendAll<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item);
}
