/**
 * OpenSSH `known_hosts`, read and written faithfully: hashed `|1|salt|hash` names, `[host]:port`,
 * wildcard and `!negated` patterns, several keys per host, `@cert-authority` and `@revoked` markers,
 * comments and blank lines. A file loaded and saved unchanged is the same bytes.
 */
import { createHmac, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { expandHome } from "./expand-home.js";
import { PKey } from "./pkey.js";
import { globMatch } from "./glob-match.js";

export { globMatch };

/** One key line of known_hosts. */
export interface HostKeyEntry {
  /** `"@cert-authority"`, `"@revoked"`, or undefined for a plain host key. */
  marker: "@cert-authority" | "@revoked" | undefined;
  /** The host patterns of the line (plain, wildcard, `!negated`, or hashed `|1|…`). */
  hostnames: string[];
  keyType: string;
  /** The key, or undefined when shoal cannot parse its type (the line is still kept). */
  key: PKey | undefined;
  base64: string;
  comment: string;
}

type Line = { text: string; entry?: undefined } | { text: string | undefined; entry: HostKeyEntry };

/** The name known_hosts uses for a host: `host` on port 22, `[host]:port` otherwise. */
export function hostKeyName(hostname: string, port = 22): string {
  return port === 22 ? hostname : `[${hostname}]:${port}`;
}

/** A set of known host keys, as paramiko's `HostKeys`. */
export class HostKeys {
  #lines: Line[] = [];
  #endsWithNewline = true;

  /** Reads a known_hosts file (rejects, as `load`, when it cannot be read). */
  static async fromFile(filename: string): Promise<HostKeys> {
    const keys = new HostKeys();
    await keys.load(filename);
    return keys;
  }

  /** `|1|salt|hash`: the hashed form of a host name (HMAC-SHA1, as `ssh-keygen -H`). */
  static hashHost(hostname: string, salt?: string | Buffer): string {
    const saltBytes =
      salt === undefined ? randomBytes(20) : typeof salt === "string" ? Buffer.from(salt.replace(/^\|1\|/, "").split("|")[0]!, "base64") : salt;
    const hash = createHmac("sha1", saltBytes).update(hostname).digest("base64");
    return `|1|${saltBytes.toString("base64")}|${hash}`;
  }

  /**
   * Adds the lines of a file (its comments and markers are kept for saving). A file that does not
   * exist rejects with Node's ENOENT error, as paramiko raises `IOError`: a mistyped path would
   * otherwise make every host unknown. `~/` is the home folder.
   */
  async load(filename: string): Promise<void> {
    this.parse(await readFile(expandHome(filename), "utf8"));
  }

  /** `load`, where a missing file reads as empty: the default files, and those ssh_config names. */
  async loadIfPresent(filename: string): Promise<void> {
    try {
      await this.load(filename);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }

  /** Adds the lines of known_hosts text. */
  parse(text: string): void {
    if (text === "") return;
    const lines = text.split("\n");
    this.#endsWithNewline = lines.at(-1) === "";
    if (this.#endsWithNewline) lines.pop();
    for (const raw of lines) this.#lines.push(parseLine(raw));
  }

  /** Writes every line back: unchanged lines byte for byte, then changed and added ones. Atomic (temp + rename). */
  async save(filename: string): Promise<void> {
    filename = expandHome(filename);
    await mkdir(path.dirname(filename), { recursive: true });
    const temporary = `${filename}.shoal-${process.pid}-${randomBytes(4).toString("hex")}`;
    await writeFile(temporary, this.toString(), { mode: 0o644 });
    await rename(temporary, filename);
  }

  /** The file text {@link save} writes. */
  toString(): string {
    if (this.#lines.length === 0) return "";
    const text = this.#lines.map((line) => line.text ?? formatEntry(line.entry!)).join("\n");
    return this.#endsWithNewline ? `${text}\n` : text;
  }

  /**
   * Adds a host key, replacing the key of the same type already listed for exactly this name.
   * `hash: true` writes the name hashed, as OpenSSH's `HashKnownHosts yes`.
   */
  add(hostname: string, keyType: string, key: PKey, options: { hash?: boolean } = {}): void {
    for (const line of this.#lines) {
      const entry = line.entry;
      if (entry && entry.marker === undefined && entry.keyType === keyType && entry.hostnames.some((p) => namesEqual(p, hostname))) {
        entry.key = key;
        entry.base64 = key.getBase64();
        line.text = undefined;
        return;
      }
    }
    const entry: HostKeyEntry = {
      marker: undefined,
      hostnames: [options.hash ? HostKeys.hashHost(hostname) : hostname],
      keyType,
      key,
      base64: key.getBase64(),
      comment: "",
    };
    // A file without a final newline gets one before the added line.
    this.#endsWithNewline = true;
    this.#lines.push({ text: undefined, entry });
  }

  /** The keys listed for a host name (`hostKeyName(host, port)`), by type; undefined when none. */
  lookup(hostname: string): Map<string, PKey> | undefined {
    const found = new Map<string, PKey>();
    for (const entry of this.#matching(hostname)) {
      if (entry.marker === undefined && entry.key && !found.has(entry.keyType)) found.set(entry.keyType, entry.key);
    }
    return found.size > 0 ? found : undefined;
  }

  /** Every key listed for the host (several of one type are possible). */
  lookupAll(hostname: string): PKey[] {
    return this.#matching(hostname)
      .filter((entry) => entry.marker === undefined && entry.key)
      .map((entry) => entry.key!);
  }

  /** Whether `key` is a known key of this host (and not revoked). */
  check(hostname: string, key: PKey): boolean {
    if (this.isRevoked(key)) return false;
    return this.lookupAll(hostname).some((known) => known.equals(key));
  }

  /** Whether a `@revoked` line lists this key. */
  isRevoked(key: PKey): boolean {
    const blob = key.getBase64();
    return this.#lines.some((line) => line.entry?.marker === "@revoked" && line.entry.base64 === blob);
  }

  /** Removes every line. */
  clear(): void {
    this.#lines = [];
    this.#endsWithNewline = true;
  }

  /** The key lines (markers included), in file order. */
  entries(): HostKeyEntry[] {
    return this.#lines.filter((line) => line.entry).map((line) => line.entry!);
  }

  /** The host patterns of the plain key lines (hashed ones as they are written). */
  keys(): string[] {
    return [...new Set(this.entries().filter((e) => e.marker === undefined).flatMap((e) => e.hostnames))];
  }

  /** For each host pattern of `keys()`, its keys by type (as `lookup` gives them). */
  values(): Array<Map<string, PKey>> {
    return this.keys().map((name) => this.lookup(name) ?? new Map<string, PKey>());
  }

  /** Number of plain key lines. */
  get size(): number {
    return this.entries().filter((e) => e.marker === undefined).length;
  }

  #matching(hostname: string): HostKeyEntry[] {
    return this.entries().filter((entry) => matchesHost(entry.hostnames, hostname));
  }
}

function parseLine(raw: string): Line {
  const trimmed = raw.trim();
  if (trimmed === "" || trimmed.startsWith("#")) return { text: raw };
  const fields = trimmed.split(/\s+/);
  let marker: HostKeyEntry["marker"];
  if (fields[0] === "@cert-authority" || fields[0] === "@revoked") marker = fields.shift() as HostKeyEntry["marker"];
  else if (fields[0]!.startsWith("@")) return { text: raw };
  if (fields.length < 3) return { text: raw };
  const [names, keyType, base64] = fields as [string, string, string];
  const comment = fields.slice(3).join(" ");
  let key: PKey | undefined;
  try {
    key = PKey.fromTypeString(keyType, Buffer.from(base64, "base64"));
  } catch {
    key = undefined;
  }
  return { text: raw, entry: { marker, hostnames: names.split(","), keyType, key, base64, comment } };
}

function formatEntry(entry: HostKeyEntry): string {
  const parts = [entry.hostnames.join(","), entry.keyType, entry.base64];
  if (entry.marker) parts.unshift(entry.marker);
  if (entry.comment) parts.push(entry.comment);
  return parts.join(" ");
}

/** Whether a pattern list matches a name: any positive match and no negated one. */
function matchesHost(patterns: string[], hostname: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    if (pattern.startsWith("!")) {
      if (globMatch(pattern.slice(1), hostname)) return false;
    } else if (pattern.startsWith("|1|")) {
      if (HostKeys.hashHost(hostname, pattern) === pattern) matched = true;
    } else if (globMatch(pattern, hostname)) {
      matched = true;
    }
  }
  return matched;
}

function namesEqual(pattern: string, hostname: string): boolean {
  return pattern.startsWith("|1|") ? HostKeys.hashHost(hostname, pattern) === pattern : pattern === hostname;
}

