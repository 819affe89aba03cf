/**
 * Host-key checking for a fleet: OpenSSH known_hosts (plain, `[host]:port`, hashed `|1|` entries,
 * wildcards, `@revoked`), read once for the whole run, with the keys a run met for the first time
 * gathered so that they are shown (or saved, under accept-new) once at the end.
 */
import { createHash, createHmac } from "node:crypto";
import { appendFile, mkdir, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { globToRegExp } from "./pattern.js";

/** How a host's key compares with known_hosts. */
export type HostKeyVerdict = "known" | "unknown" | "changed" | "revoked";

/** A key a run could not verify (or newly trusted), for the table at the end of the run. */
export interface HostKeyNote {
  host: string;
  /** `host` or `[host]:port`, as known_hosts names it. */
  lookupName: string;
  keyType: string;
  /** `SHA256:...`, as ssh-keygen -l prints it. */
  fingerprint: string;
  verdict: Exclude<HostKeyVerdict, "known">;
  /** Whether accept-new trusted and saved it. */
  accepted: boolean;
  /** The public key as a known_hosts line would hold it (`type base64`). */
  publicKey: string;
}

interface Entry {
  marker: "" | "@revoked" | "@cert-authority";
  match: (name: string) => boolean;
  keyType: string;
  key: string;
}

export function defaultKnownHostsPath(): string {
  return join(homedir(), ".ssh", "known_hosts");
}

/** The name known_hosts uses for a host: `host`, or `[host]:port` when the port is not 22. */
export function knownHostsName(hostname: string, port: number): string {
  return port === 22 ? hostname : `[${hostname}]:${port}`;
}

/** `SHA256:<base64 without padding>` of a public key blob. */
export function fingerprintOf(blob: Buffer): string {
  return "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

/** The key type named inside a public key blob (its first SSH string). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return "unknown";
  const n = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + n).toString("latin1");
}

export class KnownHosts {
  readonly #entries: Entry[] = [];
  readonly #accepted = new Map<string, string>(); // lookupName -> "type base64", trusted during this run
  /** The file new keys are appended to under accept-new. */
  readonly path: string;

  constructor(path: string = defaultKnownHostsPath()) {
    this.path = path;
  }

  /** Reads the files (a missing file is an empty one). */
  static async load(paths: readonly string[] = [defaultKnownHostsPath()]): Promise<KnownHosts> {
    const kh = new KnownHosts(paths[0] ?? defaultKnownHostsPath());
    for (const p of paths) {
      try {
        kh.addText(await readFile(p, "utf8"));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      }
    }
    return kh;
  }

  /** Adds known_hosts lines. */
  addText(text: string): void {
    for (const raw of text.split("\n")) {
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) continue;
      const fields = line.split(/\s+/);
      let marker: Entry["marker"] = "";
      if (fields[0] === "@revoked" || fields[0] === "@cert-authority") marker = fields.shift() as Entry["marker"];
      const [hosts, keyType, key] = fields;
      if (!hosts || !keyType || !key) continue;
      this.#entries.push({ marker, match: hostMatcher(hosts), keyType, key });
    }
  }

  /** Compares a presented key blob with what is known for `lookupName`. */
  check(lookupName: string, blob: Buffer): HostKeyVerdict {
    const keyType = keyTypeOf(blob);
    const key = blob.toString("base64");
    const accepted = this.#accepted.get(lookupName);
    let sameType = false;
    let other = false;
    for (const e of this.#entries) {
      if (e.marker === "@cert-authority" || !e.match(lookupName)) continue;
      if (e.marker === "@revoked") {
        if (e.key === key) return "revoked";
        continue;
      }
      if (e.key === key) return "known";
      other = true;
      if (e.keyType === keyType) sameType = true;
    }
    if (accepted === `${keyType} ${key}`) return "known";
    // OpenSSH: a different key of the same type is a changed key; only keys of other types is unknown.
    return sameType ? "changed" : other ? "unknown" : "unknown";
  }

  /**
   * The key known_hosts expects for a name (the first that matches), or undefined. Hosts expecting
   * the same key are one server behind several names: the handshake cap counts them together.
   */
  expectedKey(lookupName: string): string | undefined {
    for (const e of this.#entries) if (e.marker === "" && e.match(lookupName)) return `${e.keyType} ${e.key}`;
    return this.#accepted.get(lookupName);
  }

  /** Trusts a key for the rest of the run (accept-new); `save` writes these out. */
  accept(lookupName: string, blob: Buffer): void {
    this.#accepted.set(lookupName, `${keyTypeOf(blob)} ${blob.toString("base64")}`);
  }

  /** Appends the keys accepted during the run to the file, once. Returns how many were written. */
  async saveAccepted(): Promise<number> {
    if (this.#accepted.size === 0) return 0;
    const lines = [...this.#accepted].map(([name, key]) => `${name} ${key}\n`).join("");
    this.addText(lines);
    const n = this.#accepted.size;
    this.#accepted.clear();
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    await appendFile(this.path, lines, { mode: 0o600 });
    return n;
  }
}

function hostMatcher(field: string): (name: string) => boolean {
  if (field.startsWith("|1|")) {
    const [, , salt, hash] = field.split("|");
    const saltBuf = Buffer.from(salt ?? "", "base64");
    return (name) => createHmac("sha1", saltBuf).update(name).digest("base64") === hash;
  }
  const positive: RegExp[] = [];
  const negative: RegExp[] = [];
  for (const p of field.split(",")) {
    if (p.startsWith("!")) negative.push(globToRegExp(p.slice(1)));
    else positive.push(globToRegExp(p));
  }
  return (name) => !negative.some((r) => r.test(name)) && positive.some((r) => r.test(name));
}
