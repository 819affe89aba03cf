/**
 * paramiko's `SSHConfig`: OpenSSH client configuration (`~/.ssh/config`). `Host` blocks with
 * wildcard and `!negated` patterns, `Match all|host|originalhost|user|localuser|exec|tagged|
 * localnetwork|canonical|final`, `Include` (globs, relative to `~/.ssh`), first value wins, token
 * expansion (`%h %p %r %u %l %L %d %n %C %%`, and `~` in paths).
 */
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { BlockList, isIP } from "node:net";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { checkTimeout } from "../internal/options.js";
import { ConfigParseError } from "./errors.js";
import { expandHome } from "./expand-home.js";
import { globMatch } from "./glob-match.js";
import { execMatches, execMatchesSync } from "./config-exec.js";
import type { ExecRequest } from "./config-exec.js";

export { expandHome };

/** How long a `Match exec` command may run before the lookup fails (OpenSSH has no bound). */
const EXEC_TIMEOUT_MS = 30_000;

/** Keys that collect every value instead of keeping the first. */
const MULTI_VALUED = new Set(["identityfile", "localforward", "remoteforward", "dynamicforward", "certificatefile", "sendenv", "setenv"]);
/** Keys whose values get `%` tokens expanded. */
const TOKEN_KEYS = new Set(["hostname", "identityfile", "proxycommand", "controlpath", "localcommand", "certificatefile", "userknownhostsfile", "identityagent", "proxyjump"]);
/** Keys naming files: `~` is the home folder there (and only there: commands leave it to the shell). */
const PATH_KEYS = new Set(["identityfile", "controlpath", "certificatefile", "userknownhostsfile", "identityagent"]);
/** Keys whose value is a command line, taken whole (a `#` in it is the shell's business). */
const COMMAND_KEYS = new Set(["proxycommand", "localcommand", "remotecommand", "knownhostscommand", "permitlocalcommand"]);
/** Of these two, the first one set wins and shuts the other out (`none` included), as in OpenSSH. */
const EXCLUSIVE = new Map([
  ["proxyjump", "proxycommand"],
  ["proxycommand", "proxyjump"],
]);

/** OpenSSH's time units, in ms (a bare number is seconds). */
const TIME_UNITS_MS: Record<string, number> = { "": 1000, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** What {@link SSHConfig.lookup} is told besides the host. */
export interface LookupOptions {
  /** The login user already chosen (ssh's `-l`): it wins over the file's `User`. */
  user?: string | undefined;
  /** The login user when neither `user` nor the file names one (default: the local user). */
  defaultUser?: string | undefined;
  /** The port already chosen (ssh's `-p`). */
  port?: number | undefined;
  /** The address already chosen (ssh's `-o HostName=`). */
  hostName?: string | undefined;
  /** How long a `Match exec` command may run, in ms (default 30 s; `Infinity`: no bound). */
  execTimeout?: number | undefined;
  /** `lookupAsync`: stops a `Match exec` command running (killed) and rejects with the reason. */
  signal?: AbortSignal | undefined;
  /**
   * `lookupAsync`: runs each `Match exec` command in a process group of its own, killed whole at a
   * timeout, an abort or this process's exit, and out of reach of the terminal's Ctrl-C (and of the
   * terminal: it cannot prompt). Default false, as ssh runs it.
   */
  execOwnGroup?: boolean | undefined;
  /** What `Match sessiontype` sees: `exec` (default), `shell`, `subsystem` or `none`. */
  sessionType?: "exec" | "shell" | "subsystem" | "none" | undefined;
  /** What `Match command` sees: the remote command, or the subsystem (`sftp`); none matches `""`. */
  command?: string | undefined;
}

interface Option {
  key: string;
  value: string;
  /** `~/.ssh/config line 12`. */
  where: string;
}

interface Block {
  kind: "host" | "match";
  patterns: string[];
  options: Option[];
  /** Where its `Host` or `Match` line is (`~/.ssh/config line 4`), for errors found at lookup. */
  where: string;
  /**
   * The block whose `Include` brought this one in: it applies only when that one does (as
   * OpenSSH reads an included file under an inactive block as never matching).
   */
  within?: Block | undefined;
}

/** The options for one host: lowercased keys; `identityfile` and the forwards are arrays. */
export class SSHConfigDict extends Map<string, string | string[]> {
  /** The value as a string (the first one for multi-valued keys). */
  getString(key: string): string | undefined {
    const value = this.get(key.toLowerCase());
    return Array.isArray(value) ? value[0] : value;
  }

  /** `yes`/`true` → true, anything else → false; undefined when unset. */
  asBool(key: string): boolean | undefined {
    const value = this.getString(key);
    if (value === undefined) return undefined;
    return /^(yes|true)$/i.test(value);
  }

  /** The value as an integer; undefined when unset. */
  asInt(key: string): number | undefined {
    const value = this.getString(key);
    if (value === undefined) return undefined;
    const number = Number.parseInt(value, 10);
    if (Number.isNaN(number)) throw new ConfigParseError(`${key} is not an integer: ${JSON.stringify(value)}`);
    return number;
  }

  /**
   * The value as OpenSSH reads a time (`sshd_config(5)`, TIME FORMATS): seconds, or whole numbers
   * with units `s m h d w` (any case) run together (`1m30s`), in ms; undefined when unset or `none`.
   * @throws ConfigParseError naming where the value was read.
   */
  asTime(key: string): number | undefined {
    const value = this.getString(key);
    if (value === undefined || value.toLowerCase() === "none") return undefined;
    if (!/^(?:\d+[smhdw])*\d+[smhdw]?$/i.test(value)) {
      const where = this.origin(key);
      throw new ConfigParseError(`${where ? `${where}: ` : ""}${key} is not a time (seconds, or 30s, 1m, 1h): ${JSON.stringify(value)}`);
    }
    let ms = 0;
    for (const [, n, unit] of value.toLowerCase().matchAll(/(\d+)([smhdw]?)/g)) ms += Number(n) * TIME_UNITS_MS[unit!]!;
    return ms;
  }

  /** The values of a key as a list. */
  getList(key: string): string[] {
    const value = this.get(key.toLowerCase());
    return value === undefined ? [] : Array.isArray(value) ? value : [value];
  }

  readonly #origins = new Map<string, string>();

  /** Where the (first) value of a key was read: `~/.ssh/config line 12`; undefined when unset or not from a file line. */
  origin(key: string): string | undefined {
    return this.#origins.get(key.toLowerCase());
  }

  /** @internal Notes where a key's value came from (the lookup does). */
  noteOrigin(key: string, where: string): void {
    if (!this.#origins.has(key)) this.#origins.set(key, where);
  }
}

export class SSHConfig {
  #blocks: Block[] = [];
  readonly #baseDir: string;

  /** `baseDir` resolves relative `Include` paths (default `~/.ssh`). */
  constructor(options: { baseDir?: string } = {}) {
    this.#baseDir = options.baseDir ?? path.join(os.homedir(), ".ssh");
  }

  /** Parses a config file (its relative `Include`s resolve against `~/.ssh`, as OpenSSH does for user configs). */
  static async fromPath(file: string): Promise<SSHConfig> {
    const config = new SSHConfig({ baseDir: path.dirname(path.resolve(expandHome(file))) });
    config.parse(await readFile(expandHome(file), "utf8"), file);
    return config;
  }

  /** {@link fromPath}, synchronous. */
  static fromPathSync(file: string): SSHConfig {
    const config = new SSHConfig({ baseDir: path.dirname(path.resolve(expandHome(file))) });
    config.parse(readFileSync(expandHome(file), "utf8"), file);
    return config;
  }

  /** Parses config text. */
  static fromText(text: string, options: { baseDir?: string } = {}): SSHConfig {
    const config = new SSHConfig(options);
    config.parse(text);
    return config;
  }

  /** Parses a readable stream of config text. */
  static async fromFile(readable: Readable): Promise<SSHConfig> {
    let text = "";
    for await (const chunk of readable) text += chunk.toString();
    return SSHConfig.fromText(text);
  }

  /** Adds the blocks of config text; `source` (its file) names where an error is. */
  parse(text: string, source?: string): void {
    this.#parse(text, 0, undefined, source);
  }

  /** `within`: the block whose `Include` this file is read for (none at the top level). */
  #parse(text: string, depth: number, within: Block | undefined, source: string | undefined): void {
    if (depth > 16) throw new ConfigParseError(`${within?.where ?? source ?? "the config"}: Include nested too deeply (more than 16 levels)`);
    // Lines before any Host belong to an implicit `Host *`, which applies when the including block does.
    const open = (where: string): Block => ({ kind: "host", patterns: ["*"], options: [], where, within });
    let current: Block = open(source ?? "the config");
    this.#blocks.push(current);
    for (const [index, raw] of text.split(/\r?\n/).entries()) {
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) continue;
      const where = source === undefined ? `Line ${index + 1}` : `${source} line ${index + 1}`;
      const match = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
      if (!match) throw new ConfigParseError(`${where}: expected "Keyword value": ${JSON.stringify(line)}`);
      const key = match[1]!.toLowerCase();
      // OpenSSH ends a line at a word that starts with `#`, except in a command, taken whole.
      const rest = COMMAND_KEYS.has(key) ? match[2]!.trim() : withoutComment(match[2]!);
      const value = unquote(rest);
      if (key === "host") {
        current = { kind: "host", patterns: splitArgs(rest), options: [], where, within };
        this.#blocks.push(current);
      } else if (key === "match") {
        current = { kind: "match", patterns: checkMatch(splitArgs(rest), where), options: [], where, within };
        this.#blocks.push(current);
      } else if (key === "include") {
        for (const pattern of splitArgs(rest)) {
          for (const file of this.#expandInclude(pattern)) {
            let included: string;
            try {
              included = readFileSync(file, "utf8");
            } catch {
              continue; // as OpenSSH: a file that cannot be read is skipped
            }
            this.#parse(included, depth + 1, current, file);
          }
        }
        // The lines after the Include go on with the including block (its criteria are not looked at again).
        const including = current;
        current = { kind: "host", patterns: ["*"], options: [], where: including.where, within: including };
        this.#blocks.push(current);
      } else {
        current.options.push({ key, value, where });
      }
    }
  }

  /** The regular files an `Include` pattern names, in order; a glob in any part of the path is expanded. */
  #expandInclude(pattern: string): string[] {
    const full = path.resolve(this.#baseDir, expandHome(pattern));
    let paths = ["/"];
    for (const part of full.split("/").filter(Boolean)) {
      if (!/[*?[]/.test(part)) {
        paths = paths.map((p) => path.join(p, part));
        continue;
      }
      paths = paths.flatMap((dir) => {
        try {
          return readdirSync(dir)
            .filter((name) => fileGlobMatch(part, name) && (part.startsWith(".") || !name.startsWith(".")))
            .sort()
            .map((name) => path.join(dir, name));
        } catch {
          return [];
        }
      });
    }
    return paths.filter((p) => {
      try {
        return statSync(p).isFile();
      } catch {
        return false;
      }
    });
  }

  /**
   * The options that apply to `hostname`, with tokens expanded. As OpenSSH does, a config with a
   * `Match final` is read a second time, in which `Match final` and `Match canonical` match (the
   * values of the first pass stay: first value wins); so is one with `CanonicalizeHostname` on
   * (shoal does not search `CanonicalDomains`: the name stays as given). `Match exec` runs its
   * command through `/bin/sh -c` (stdin and stdout closed, stderr shown), only when the criteria
   * before it on the line matched, and matches when it exits 0; one still running after
   * `execTimeout` ms (default 30 s) is killed and fails the lookup with `ConfigParseError`.
   *
   * `user`, `port` and `hostName` are what the caller already decided (ssh's `-l`, `-p` and
   * `-o HostName=`): they stand in for the file's values in `Match` criteria and in `%r`, `%p`, `%h`.
   */
  lookup(hostname: string, options: LookupOptions = {}): SSHConfigDict {
    const execTimeout = execBound(options.execTimeout, "SSHConfig.lookup: execTimeout");
    const steps = this.#lookup(hostname, options);
    for (let step = steps.next(); ; step = steps.next(execMatchesSync(step.value, execTimeout))) {
      if (step.done) return step.value;
    }
  }

  /**
   * {@link lookup} without blocking: `Match exec` commands run while the event loop goes on (many
   * hosts' lookups at once run theirs in parallel), and one past `execTimeout` is killed with
   * everything it started (its process group).
   */
  async lookupAsync(hostname: string, options: LookupOptions = {}): Promise<SSHConfigDict> {
    const execTimeout = execBound(options.execTimeout, "SSHConfig.lookupAsync: execTimeout");
    const steps = this.#lookup(hostname, options);
    const run = { timeout: execTimeout, signal: options.signal, ownGroup: options.execOwnGroup };
    for (let step = steps.next(); ; step = steps.next(await execMatches(step.value, run))) {
      if (step.done) return step.value;
    }
  }

  /** The lookup, which yields each `Match exec` to run and is given back whether it matched. */
  *#lookup(hostname: string, options: LookupOptions): Generator<ExecRequest, SSHConfigDict, boolean> {
    const result = new SSHConfigDict();
    const collect = (block: Block) => {
      for (const { key, value, where } of block.options) {
        if (MULTI_VALUED.has(key)) {
          const list = (result.get(key) as string[] | undefined) ?? [];
          list.push(value);
          result.set(key, list);
          result.noteOrigin(key, where);
        } else if (!result.has(key) && !result.has(EXCLUSIVE.get(key) ?? "")) {
          result.set(key, value);
          result.noteOrigin(key, where);
        }
      }
    };
    const pass = function* (this: SSHConfig, final: boolean): Generator<ExecRequest, void, boolean> {
      // Each block's criteria are looked at once a pass, in file order, and only when the block
      // that included it applies (so a `Match exec` runs once, and not at all under an inactive one).
      const applies = new Map<Block, boolean>();
      for (const block of this.#blocks) {
        let ok = block.within === undefined || applies.get(block.within) === true;
        if (ok) ok = block.kind === "host" ? hostMatches(block.patterns, hostname) : yield* this.#matchMatches(block, hostname, result, options, final);
        applies.set(block, ok);
        if (ok) collect(block);
      }
    }.bind(this);
    // The final pass collects every multi-valued option again: keep the first pass's lists apart.
    yield* pass(false);
    if (this.#wantsFinalPass(result)) {
      const firstLists = new Map([...result].filter(([key]) => MULTI_VALUED.has(key)));
      for (const key of firstLists.keys()) result.delete(key);
      yield* pass(true);
      for (const [key, list] of firstLists) {
        const added = (result.get(key) as string[] | undefined) ?? [];
        result.set(key, [...(list as string[]), ...added.filter((value) => !(list as string[]).includes(value))]);
      }
    }
    if (!result.has("hostname")) result.set("hostname", hostname);
    this.#expandTokens(result, hostname, options);
    return result;
  }

  /** A second pass is made when a `Match final` (not negated) exists or CanonicalizeHostname is on. */
  #wantsFinalPass(sofar: SSHConfigDict): boolean {
    if (/^(yes|always)$/i.test(sofar.getString("canonicalizehostname") ?? "")) return true;
    return this.#blocks.some((block) => block.kind === "match" && block.patterns.some((p) => p.toLowerCase() === "final"));
  }

  *#matchMatches(block: Block, hostname: string, sofar: SSHConfigDict, given: LookupOptions, final: boolean): Generator<ExecRequest, boolean, boolean> {
    const criteria = block.patterns;
    for (let i = 0; i < criteria.length; i++) {
      let keyword = criteria[i]!.toLowerCase();
      const negate = keyword.startsWith("!");
      if (negate) keyword = keyword.slice(1);
      let ok: boolean;
      if (keyword === "all") ok = true;
      else if (keyword === "canonical" || keyword === "final") ok = final;
      else {
        // checkMatch made sure, as the file was read, that the criterion is known and has its argument.
        const argument = criteria[++i]!;
        const patterns = argument.split(",");
        if (keyword === "host") ok = hostMatches(patterns, given.hostName ?? sofar.getString("hostname") ?? hostname);
        else if (keyword === "originalhost") ok = hostMatches(patterns, hostname);
        else if (keyword === "user") ok = hostMatches(patterns, remoteUser(sofar, given));
        else if (keyword === "localuser") ok = hostMatches(patterns, os.userInfo().username);
        else if (keyword === "tagged") ok = hostMatches(patterns, sofar.getString("tag") ?? "");
        else if (keyword === "localnetwork") ok = onLocalNetwork(patterns, block.where);
        else if (keyword === "sessiontype") ok = hostMatches(patterns, given.sessionType ?? "exec");
        // The remote command or subsystem (`sftp`); `""` matches a session without one.
        else if (keyword === "command") ok = hostMatches(patterns, given.command ?? "");
        // OpenSSH 10 gates options on its own version: shoal is no OpenSSH, and says so.
        else if (keyword === "version") ok = hostMatches(patterns, "shoal");
        else {
          const tokens = this.#tokens(sofar, hostname, given);
          ok = yield { command: argument, expanded: expandTokens(argument, tokens), where: block.where };
        }
      }
      if (ok === negate) return false;
    }
    return true;
  }

  /** The `%` tokens of a host, from what is known of it so far. */
  #tokens(dict: SSHConfigDict, original: string, given: LookupOptions): Record<string, string> {
    const host = given.hostName ?? (dict.getString("hostname") ?? original).replace(/%h/g, original).replace(/%%/g, "%");
    const port = given.port?.toString() ?? dict.getString("port") ?? "22";
    const user = remoteUser(dict, given);
    const fqdn = os.hostname();
    return {
      "%": "%",
      h: host,
      n: original,
      p: port,
      r: user,
      u: os.userInfo().username,
      // OpenSSH: %l is the local host name with its domain, %L without it.
      l: fqdn,
      L: fqdn.split(".")[0]!,
      d: os.homedir(),
      C: createHash("sha1").update(`${fqdn}${host}${port}${user}`).digest("hex"),
    };
  }

  #expandTokens(dict: SSHConfigDict, original: string, given: LookupOptions): void {
    const tokens = this.#tokens(dict, original, given);
    dict.set("hostname", tokens["h"]!);
    const expand = (value: string, key: string) => {
      const expanded = expandTokens(value, tokens);
      // UserKnownHostsFile names several files, each of which may start with `~`; the others one path.
      if (key === "userknownhostsfile") return expanded.split(/(\s+)/).map(expandHome).join("");
      return PATH_KEYS.has(key) ? expandHome(expanded) : expanded;
    };
    for (const [key, value] of dict) {
      if (!TOKEN_KEYS.has(key) || key === "hostname") continue;
      dict.set(key, Array.isArray(value) ? value.map((v) => expand(v, key)) : expand(value, key));
    }
  }

  /** Every concrete host name or pattern named in `Host` lines. */
  getHostnames(): Set<string> {
    const names = new Set<string>();
    for (const block of this.#blocks) if (block.kind === "host") for (const pattern of block.patterns) names.add(pattern);
    return names;
  }
}

/** The remote user as the lookup sees it: the caller's choice, the file's, the default, the local one. */
function remoteUser(sofar: SSHConfigDict, given: LookupOptions): string {
  return given.user ?? sofar.getString("user") ?? given.defaultUser ?? os.userInfo().username;
}

/** `execTimeout` checked, in whole ms (at least one: spawnSync's 0 is no bound); undefined for none. */
function execBound(value: number | undefined, name: string): number | undefined {
  const given = checkTimeout(value, name) ?? EXEC_TIMEOUT_MS;
  return given === Infinity ? undefined : Math.max(1, Math.ceil(given));
}

/** `Match localnetwork`: whether an address of this machine's interfaces is in one of the CIDR networks. */
function onLocalNetwork(networks: string[], where: string): boolean {
  const list = new BlockList();
  for (const network of networks) {
    const [address, bits] = network.split("/");
    const family = isIP(address ?? "");
    const prefix = Number(bits);
    if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
      throw new ConfigParseError(`${where}: Match localnetwork: ${JSON.stringify(network)} is not an address/prefix network`);
    }
    list.addSubnet(address!, prefix, family === 4 ? "ipv4" : "ipv6");
  }
  return Object.values(os.networkInterfaces())
    .flat()
    .some((i) => i !== undefined && list.check(i.address.replace(/%.*$/, ""), i.family === "IPv4" ? "ipv4" : "ipv6"));
}

const MATCH_ALONE = new Set(["all", "canonical", "final"]);
const MATCH_WITH_ARGUMENT = new Set(["host", "originalhost", "user", "localuser", "exec", "tagged", "localnetwork", "sessiontype", "command", "version"]);

/** A `Match` line's criteria, checked as it is read (as OpenSSH does), so that a mistake names its line. */
function checkMatch(criteria: string[], where: string): string[] {
  if (criteria.length === 0) throw new ConfigParseError(`${where}: Match needs criteria (all, host, user, exec, ...)`);
  for (let i = 0; i < criteria.length; i++) {
    const keyword = criteria[i]!.toLowerCase().replace(/^!/, "");
    if (MATCH_ALONE.has(keyword)) continue;
    if (!MATCH_WITH_ARGUMENT.has(keyword)) throw new ConfigParseError(`${where}: Unsupported Match criterion: ${keyword}`);
    if (criteria[++i] === undefined) throw new ConfigParseError(`${where}: Match ${keyword} needs an argument`);
  }
  return criteria;
}

function hostMatches(patterns: string[], hostname: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    if (pattern.startsWith("!")) {
      if (globMatch(pattern.slice(1), hostname)) return false;
    } else if (globMatch(pattern, hostname)) {
      matched = true;
    }
  }
  return matched;
}

function splitArgs(text: string): string[] {
  const args: string[] = [];
  for (const match of text.matchAll(/"([^"]*)"|(\S+)/g)) args.push(match[1] ?? match[2]!);
  return args;
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

/** glob(3) for one path part, as `Include` takes it: `*`, `?` and `[...]` classes, case-sensitive. */
function fileGlobMatch(pattern: string, name: string): boolean {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    const close = ch === "[" ? pattern.indexOf("]", i + 2) : -1;
    if (ch === "*") source += "[^/]*";
    else if (ch === "?") source += "[^/]";
    else if (close > 0) {
      const body = pattern.slice(i + 1, close);
      source += `[${body.startsWith("!") ? "^" + body.slice(1) : body.replace(/\\/g, "\\\\")}]`;
      i = close;
    } else source += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`).test(name);
}

/** The value up to a word that starts with `#` (OpenSSH's end-of-line comment), outside quotes. */
function withoutComment(text: string): string {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === "#" && !quoted && (i === 0 || /\s/.test(text[i - 1]!))) return text.slice(0, i).trim();
  }
  return text.trim();
}

/** `%x` tokens replaced by their values (`{ h: "web1", p: "22", "%": "%" }`); unknown ones stay as written. */
export function expandTokens(value: string, tokens: Readonly<Record<string, string>>): string {
  return value.replace(/%(.)/g, (all, token: string) => tokens[token] ?? all);
}
