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
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, visit } from "yaml";
import type { Alias, Document, Node as YamlNode, Pair, Scalar, YAMLMap } from "yaml";
import { adHocHost } from "./host.js";
import type { Host, HostVars } from "./host.js";
import { HostRangeError, expandHostNames, splitTopLevel } from "./host-range.js";
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
    if (typeof path !== "string" || path === "") throw new TypeError(`Inventory.load: path must be a file's path: got ${path === "" ? "an empty string" : typeof path}`);
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

  /**
   * An inventory of bare names (ranges allowed), as `-H a,b` and `-h FILE` give them.
   * @throws HostRangeError for a malformed range or a character a host name cannot hold.
   */
  static fromHosts(names: Iterable<string>, defaults: HostVars = {}): Inventory {
    const hosts = new Map<string, Host>();
    for (const n of names) for (const name of expandHostNames(n)) if (!hosts.has(name)) hosts.set(name, adHocHost(name, defaults));
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

  /** A copy of this inventory with more hosts (bare names get the defaults; existing names keep theirs). Throws as `fromHosts`. */
  withHosts(names: Iterable<string>): Inventory {
    const hosts = new Map(this.#hosts);
    for (const n of names) for (const name of expandHostNames(n)) if (!hosts.has(name)) hosts.set(name, adHocHost(name, this.defaults));
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
  #doc: Document.Parsed | undefined;
  #targets: Map<Alias, YamlNode> | undefined;
  /** Each mapping's pairs with its merge keys applied, computed once: `<<` chains may share bases. */
  readonly #merged = new Map<YAMLMap, Pair[]>();
  /** The mappings being merged: one that merges itself is refused, not looped over. */
  readonly #merging = new Set<YAMLMap>();

  constructor(text: string, file: string) {
    this.#text = text;
    this.#file = file;
  }

  parse(): Inventory {
    // `merge: true`: `<<: *base` merges a mapping, as YAML 1.1 and most inventories use it.
    const doc = parseDocument(this.#text, { lineCounter: this.#lines, prettyErrors: false, uniqueKeys: true, merge: true });
    this.#doc = doc;
    const first = doc.errors[0];
    if (first) {
      const pos = first.linePos?.[0] ?? this.#lines.linePos(first.pos[0]);
      throw new InventoryError(`Invalid YAML: ${first.message.split("\n")[0]}`, this.#file, pos.line, pos.col);
    }
    const defaults: HostVars = {};
    const groupEntries = new Map<string, { hosts: HostEntry[]; children: string[]; childNodes: YamlNode[]; vars: HostVars; node: YamlNode }>();
    const ungrouped: HostEntry[] = [];
    if (isEmpty(this.#deref(doc.contents))) return Inventory._build(this.#file, defaults, new Map(), new Map(), new Map());
    const top = this.#map(doc.contents, "a mapping with the keys defaults, groups, hosts");
    for (const pair of this.#pairs(top)) {
      const key = this.#key(pair, TOP_KEYS);
      const value = pair.value as YamlNode | null;
      if (key === "defaults") Object.assign(defaults, this.#vars(value, pair));
      else if (key === "hosts") appendAll(ungrouped, this.#hostList(value, pair));
      else if (key === "groups") {
        if (isEmpty(this.#deref(value))) continue;
        const groups = this.#map(value, "a mapping of group names to groups");
        for (const g of this.#pairs(groups)) {
          const name = this.#key(g);
          if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith("last.")) {
            this.#fail(g.key as YamlNode, `Invalid group name ${JSON.stringify(name)}: expected letters, digits, "_", "-" or "." (and not "last.")`);
          }
          const entry = { hosts: [] as HostEntry[], children: [] as string[], childNodes: [] as YamlNode[], vars: {} as HostVars, node: g.key as YamlNode };
          groupEntries.set(name, entry);
          if (isEmpty(this.#deref(g.value as YamlNode | null))) continue;
          const body = this.#map(g.value as YamlNode, "a mapping with the keys hosts, vars, children");
          for (const field of this.#pairs(body)) {
            const fk = this.#key(field, GROUP_KEYS);
            const written = field.value as YamlNode | null;
            if (fk === "hosts") appendAll(entry.hosts, this.#hostList(written, field));
            else if (fk === "vars") Object.assign(entry.vars, this.#vars(written, field));
            else {
              const seq = this.#deref(written);
              if (!isSeq(seq)) this.#fail(written ?? (field.key as YamlNode), `Invalid children: expected a list of group names, got ${kind(seq)}`);
              for (const raw of seq.items as YamlNode[]) {
                const item = this.#deref(raw);
                if (!isScalar(item) || typeof item.value !== "string") this.#fail(raw, `Invalid child: expected a group name, got ${kind(item)}`);
                entry.children.push(item.value as string);
                entry.childNodes.push(raw);
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
    for (const [name, g] of groupEntries) {
      for (const c of g.children) {
        const ps = parents.get(c);
        if (ps) ps.push(name);
        else parents.set(c, [name]);
      }
    }
    const depthOf = (name: string, path: string[]): number => {
      const known = depth.get(name);
      if (known !== undefined) return known;
      if (path.includes(name)) {
        this.#fail(groupEntries.get(name)!.node, `Group ${JSON.stringify(name)} contains itself: ${[...path.slice(path.indexOf(name)), name].join(" -> ")}`);
      }
      let d = 0;
      for (const p of parents.get(name) ?? []) d = Math.max(d, 1 + depthOf(p, [...path, name]));
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
    // Group and host counts both run to thousands: nothing below may go over one for each of the other.
    const fileOrder = new Map([...groupEntries.keys()].map((name, i) => [name, i]));
    const ancestors = (group: string, acc: Set<string>): Set<string> => {
      if (acc.has(group)) return acc;
      acc.add(group);
      for (const p of parents.get(group) ?? []) ancestors(p, acc);
      return acc;
    };
    const hosts = new Map<string, Host>();
    const members = new Map<string, string[]>([...groupEntries.keys()].map((name) => [name, []]));
    for (const name of order) {
      const all = new Set<string>();
      for (const g of direct.get(name)!) ancestors(g, all);
      const groups = [...all].sort((a, b) => depth.get(a)! - depth.get(b)! || fileOrder.get(a)! - fileOrder.get(b)!);
      const vars: HostVars = { ...defaults };
      for (const g of groups) Object.assign(vars, groupEntries.get(g)!.vars);
      Object.assign(vars, own.get(name));
      hosts.set(name, { name, groups, vars });
      for (const g of groups) members.get(g)!.push(name);
    }
    const groups = new Map<string, Group>();
    for (const [name, g] of groupEntries) groups.set(name, { name, hosts: g.hosts.map((e) => e.name), children: g.children, vars: g.vars });
    return Inventory._build(this.#file, defaults, hosts, groups, members);
  }

  #hostList(written: YamlNode | null, pair: Pair): HostEntry[] {
    const node = this.#deref(written);
    if (isEmpty(node)) return [];
    if (isScalar(node) && typeof node.value === "string") return this.#expand(node, {});
    if (!isSeq(node)) this.#fail(written ?? (pair.key as YamlNode), `Invalid hosts: expected a list of host names or { host: NAME, ...vars } entries, got ${kind(node)}`);
    const out: HostEntry[] = [];
    for (const raw of node.items as YamlNode[]) {
      const item = this.#deref(raw);
      if (isScalar(item) && (typeof item.value === "string" || typeof item.value === "number")) {
        appendAll(out, this.#expand(item, {}));
      } else if (isMap(item)) {
        let hostPair: Pair | undefined;
        const vars: HostVars = {};
        const rest = this.#pairs(item).filter((p) => {
          if (this.#key(p) !== "host") return true;
          hostPair = p;
          return false;
        });
        if (!hostPair) this.#fail(raw, "Invalid host entry: expected a `host:` key with the host name");
        const host = this.#deref(hostPair.value as YamlNode | null);
        if (!isScalar(host) || typeof host.value !== "string") {
          this.#fail((hostPair.value as YamlNode | null) ?? (hostPair.key as YamlNode), `Invalid host entry: expected a host name after \`host:\`, got ${kind(host)}`);
        }
        for (const p of rest) Object.assign(vars, this.#var(p));
        appendAll(out, this.#expand(host, vars));
      } else {
        this.#fail(raw, `Invalid host: expected a host name or { host: NAME, ...vars }, got ${kind(item)}`);
      }
    }
    return out;
  }

  #expand(node: Scalar, vars: HostVars): HostEntry[] {
    const text = String(node.value);
    try {
      return expandHostNames(text).map((name) => ({ name, vars }));
    } catch (err) {
      if (err instanceof HostRangeError) {
        const [line, col] = this.#posIn(node, err.index);
        const hint = nameHint(text, err.index);
        throw new InventoryError(hint ? `Invalid host name ${JSON.stringify(text)}: ${hint}` : err.message, this.#file, line, col);
      }
      throw err;
    }
  }

  #vars(written: YamlNode | null, pair: Pair): HostVars {
    const node = this.#deref(written);
    if (isEmpty(node)) return {};
    if (!isMap(node)) this.#fail(written ?? (pair.key as YamlNode), `Invalid vars: expected a mapping of variable names to values, got ${kind(node)}`);
    const vars: HostVars = {};
    for (const p of this.#pairs(node)) Object.assign(vars, this.#var(p));
    return vars;
  }

  /** One variable, checked when shoal knows its meaning. */
  #var(pair: Pair): HostVars {
    const key = this.#key(pair);
    const written = pair.value as YamlNode | null;
    // Errors point where the value is written: at the alias, when it is one.
    const at = written ?? (pair.key as YamlNode);
    const value = this.#value(key, this.#deref(written), at);
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
      case "connect_timeout": {
        let ms: number | undefined;
        try {
          // A number is seconds, as a bare number in a duration: one parser bounds both (under 1 ms, past TIMEOUT_MAX).
          if (typeof value === "number" || typeof value === "string") ms = parseDuration(String(value), "connect_timeout");
        } catch {
          /* reported below */
        }
        // 0 would fail the host before it could answer.
        if (ms !== undefined && ms >= 1) return { connect_timeout: ms };
        return this.#fail(at, `Invalid connect_timeout: expected seconds or a duration like 10s or 500ms, from 1ms to 24 days (596h), got ${show(value)}`);
      }
      case "host":
        return this.#fail(pair.key as YamlNode, `Unexpected key "host": expected it only in a host entry of a hosts list`);
      default:
        return { [key]: value };
    }
  }

  /** A variable's value as JavaScript, aliases and merge keys resolved. */
  #value(key: string, node: YamlNode | null | undefined, at: YamlNode): unknown {
    if (node === null || node === undefined) return null;
    try {
      const value: unknown = node.toJS(this.#doc!, { maxAliasCount: 100 });
      // An alias inside its own anchor makes a value that contains itself, which no one can print.
      if (typeof value === "object" && value !== null) JSON.stringify(value);
      return value;
    } catch (err) {
      return this.#fail(at, `Invalid ${key}: ${err instanceof TypeError ? "the value contains itself (an alias inside its own anchor)" : (err as Error).message}`);
    }
  }

  /** The node an alias stands for (other nodes as they are). */
  #deref(node: YamlNode | null | undefined): YamlNode | null | undefined {
    if (!isAlias(node)) return node;
    const target = this.#anchorTargets().get(node);
    if (!target) this.#fail(node, `Unknown alias *${node.source}: expected an anchor &${node.source} before it`);
    return target;
  }

  /**
   * What each alias of the document stands for: the last node with its anchor before it, found in
   * one walk. yaml's `Alias.resolve` walks the whole document for each alias: an inventory whose
   * 2,000 groups each used one took 27 s.
   */
  #anchorTargets(): Map<Alias, YamlNode> {
    if (this.#targets) return this.#targets;
    const targets = new Map<Alias, YamlNode>();
    const latest = new Map<string, YamlNode>();
    visit(this.#doc!, {
      Node: (_key, node) => {
        if (isAlias(node)) {
          const target = latest.get(node.source);
          if (target) targets.set(node, target);
        } else if (node.anchor) latest.set(node.anchor, node);
      },
    });
    return (this.#targets = targets);
  }

  /** A mapping's pairs with its merge keys applied: its own keys win, then earlier merged mappings over later ones. */
  #pairs(map: YAMLMap): Pair[] {
    const known = this.#merged.get(map);
    if (known) return known;
    if (!map.items.some((p) => isMergeKey(p.key))) return map.items as Pair[];
    const own = new Set(map.items.map((p) => keyText(p)).filter((k) => k !== undefined));
    const merged = new Set<string>();
    const out: Pair[] = [];
    this.#merging.add(map);
    for (const p of map.items as Pair[]) {
      if (!isMergeKey(p.key)) {
        out.push(p);
        continue;
      }
      for (const source of this.#mergeSources(p)) {
        if (this.#merging.has(source)) this.#fail(p.value as YamlNode, "Invalid merge key \"<<\": the mapping merges itself");
        for (const q of this.#pairs(source)) {
          const k = keyText(q);
          if (k !== undefined && (own.has(k) || merged.has(k))) continue;
          if (k !== undefined) merged.add(k);
          out.push(q);
        }
      }
    }
    this.#merging.delete(map);
    this.#merged.set(map, out);
    return out;
  }

  #mergeSources(pair: Pair): YAMLMap[] {
    const written = pair.value as YamlNode | null;
    const value = this.#deref(written);
    const expected = "Invalid merge key \"<<\": expected a mapping or a list of mappings (such as *base)";
    if (isMap(value)) return [value];
    if (!isSeq(value)) return this.#fail(written ?? (pair.key as YamlNode), `${expected}, got ${kind(value)}`);
    return (value.items as YamlNode[]).map((raw) => {
      const item = this.#deref(raw);
      if (!isMap(item)) this.#fail(raw, `${expected}, got ${kind(item)} in the list`);
      return item;
    });
  }

  #map(written: YamlNode | null | undefined, expected: string): YAMLMap {
    const node = this.#deref(written);
    if (!isMap(node)) this.#fail(written, `Invalid ${expected.startsWith("a mapping with") ? "section" : "value"}: expected ${expected}, got ${kind(node)}`);
    return node;
  }

  #key(pair: Pair, allowed?: readonly string[]): string {
    const k = this.#deref(pair.key as YamlNode);
    if (!isScalar(k) || (typeof k.value !== "string" && typeof k.value !== "number")) this.#fail(pair.key as YamlNode, `Invalid key: expected a plain name, got ${kind(k)}`);
    const name = String(k.value);
    if (allowed && !allowed.includes(name)) this.#fail(pair.key as YamlNode, `Unknown key ${JSON.stringify(name)}: expected one of ${allowed.join(", ")}`);
    return name;
  }

  #pos(node: YamlNode | null | undefined, offset = 0): [number, number] {
    const start = node?.range?.[0];
    if (start === undefined) return [0, 0];
    const p = this.#lines.linePos(start + offset);
    return [p.line, p.col];
  }

  /**
   * The position of `index` in a scalar's value. Where the value is not written as it reads (escapes
   * such as `\u0041`, `''`, folded lines), an offset in it is no column: the scalar's start is given.
   */
  #posIn(node: Scalar, index: number): [number, number] {
    const range = node.range;
    if (!range) return [0, 0];
    const source = this.#text.slice(range[0], range[1]);
    const value = String(node.value);
    let at: number | undefined;
    if (node.type === "PLAIN") at = source === value ? 0 : undefined;
    else if (node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE") at = source.slice(1, -1) === value ? 1 : undefined;
    else if (!value.replace(/\n+$/, "").includes("\n")) {
      // A block scalar of one line: the line follows its header (`>-`, `|`).
      const body = source.indexOf("\n") + 1;
      const found = body > 0 ? source.indexOf(value.replace(/\n+$/, ""), body) : -1;
      at = found >= 0 ? found : undefined;
    }
    return this.#pos(node, at === undefined ? 0 : at + index);
  }

  #fail(node: YamlNode | null | undefined, detail: string): never {
    const [line, col] = this.#pos(node);
    throw new InventoryError(detail, this.#file, line, col);
  }
}

/** A `<<` key as the parser gives it with `merge: true` (a quoted "<<" is a plain key). */
function isMergeKey(key: unknown): boolean {
  return isScalar(key) && typeof key.value === "symbol" && key.value.description === "<<";
}

function keyText(pair: Pair): string | undefined {
  return isScalar(pair.key) && (typeof pair.key.value === "string" || typeof pair.key.value === "number") ? String(pair.key.value) : undefined;
}

function isEmpty(node: YamlNode | null | undefined): boolean {
  return node === null || node === undefined || (isScalar(node) && node.value === null);
}

/** What to write instead, for the two mistakes a name can hide: `host:port`, and `a,b` (a pattern's list). */
function nameHint(text: string, index: number): string | undefined {
  const port = /^([^:]+):(\d+)$/.exec(text);
  if (text[index] === ":" && port) return `a port cannot be in a name: write { host: ${port[1]}, port: ${port[2]} }`;
  if (text[index] === ",") return `"," cannot be in a name: list each host as its own item, [${splitTopLevel(text).join(", ")}]`;
  return undefined;
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
