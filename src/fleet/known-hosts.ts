/**
 * Host-key checking for a fleet: OpenSSH known_hosts (plain, `[host]:port`, hashed `|1|` entries,
 * wildcards and negations, `@revoked`), read once for the whole run, with the keys a run met for
 * the first time gathered so that they are shown (or saved, under accept-new) once at the end.
 *
 * Reading and matching the file is shoal/ssh's `HostKeys`; this adds what a fleet needs on top:
 * one lookup per host (the handshake cap and the host-key check share it), verdicts that tell an
 * unknown key from a changed one, and keys trusted under accept-new appended once, at the end.
 */
import { createHash } from "node:crypto";
import { appendFile, mkdir, open, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { HostKeys, hostKeyName } from "../ssh/host-keys.js";
import type { HostKeyEntry } from "../ssh/host-keys.js";
import type { PKey } from "../ssh/pkey.js";

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

export function defaultKnownHostsPath(): string {
  return join(homedir(), ".ssh", "known_hosts");
}

/** The name known_hosts uses for a host: `host`, or `[host]:port` when the port is not 22. */
export const knownHostsName: (hostname: string, port: number) => string = hostKeyName;

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
  /**
   * Keys of lines naming hosts literally (`web01`, `[10.0.0.7]:2222`), by lowercased name: a fleet's
   * known_hosts is mostly one such line per host, and looking each host up in a map keeps a run over
   * many hosts linear. Lines with wildcards, negations or hashed names are matched by `HostKeys`.
   */
  readonly #literal = new Map<string, PKey[]>();
  readonly #patterns = new HostKeys();
  /** The `@revoked` lines, as plain lines: a key is revoked for the hosts its line names (as OpenSSH reads it). */
  readonly #revoked = new HostKeys();
  /** The keys listed for each name looked up so far: each host is matched against the file once. */
  readonly #listed = new Map<string, PKey[]>();
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
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw new Error(`Cannot read known_hosts file ${p}: ${(err as Error).message}`, { cause: err });
      }
    }
    return kh;
  }

  /** Adds known_hosts lines. */
  addText(text: string): void {
    const added = new HostKeys();
    added.parse(text);
    const asLine = (e: HostKeyEntry) => `${e.hostnames.join(",")} ${e.keyType} ${e.base64}\n`;
    let patterns = "";
    let revoked = "";
    for (const e of added.entries()) {
      if (e.marker === "@revoked") revoked += asLine(e);
      else if (e.marker !== undefined || e.key === undefined) continue;
      else if (e.hostnames.some((name) => /[*?!]/.test(name) || name.startsWith("|"))) patterns += asLine(e);
      else for (const name of e.hostnames) this.#literal.set(name.toLowerCase(), [...(this.#literal.get(name.toLowerCase()) ?? []), e.key]);
    }
    this.#patterns.parse(patterns);
    this.#revoked.parse(revoked);
    this.#listed.clear();
  }

  /** Compares a presented key blob with what is known for `lookupName`. */
  check(lookupName: string, blob: Buffer): HostKeyVerdict {
    const keyType = keyTypeOf(blob);
    const key = blob.toString("base64");
    if (this.#revoked.size > 0 && this.#revoked.lookupAll(lookupName).some((k) => k.getBase64() === key)) return "revoked";
    const listed = this.#listedFor(lookupName);
    if (listed.some((k) => k.getBase64() === key)) return "known";
    if (this.#accepted.get(lookupName) === `${keyType} ${key}`) return "known";
    // OpenSSH: a different key of the same type is a changed key; keys of other types only make it unknown.
    return listed.some((k) => k.getName() === keyType) ? "changed" : "unknown";
  }

  /**
   * The key known_hosts expects for a name (the first listed), or undefined. Hosts expecting the
   * same key are one server behind several names: the handshake cap counts them together.
   */
  expectedKey(lookupName: string): string | undefined {
    const first = this.#listedFor(lookupName)[0];
    return first ? `${first.getName()} ${first.getBase64()}` : this.#accepted.get(lookupName);
  }

  /** Trusts a key for the rest of the run (accept-new); `saveAccepted` writes these out. */
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
    // Appended, not rewritten: the user's file (and any other files read with it) stay as they are.
    // The folder (~/.ssh) made if missing, not its parents: a recursive mkdir never returns under /proc.
    await mkdir(dirname(this.path), { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
    });
    // A file whose last line has no newline (written by hand, by an editor) would get the first key
    // glued to that line, spoiling both: a newline first, as OpenSSH adds one.
    const last = await lastByte(this.path);
    await appendFile(this.path, last === undefined || last === "\n" ? lines : `\n${lines}`, { mode: 0o600 });
    return n;
  }

  #listedFor(lookupName: string): PKey[] {
    let listed = this.#listed.get(lookupName);
    if (listed === undefined) {
      listed = this.#literal.get(lookupName.toLowerCase()) ?? [];
      if (this.#patterns.size > 0) listed = [...listed, ...this.#patterns.lookupAll(lookupName)];
      this.#listed.set(lookupName, listed);
    }
    return listed;
  }
}

/** The last byte of a file, or undefined when it is empty or missing. */
async function lastByte(path: string): Promise<string | undefined> {
  let file;
  try {
    file = await open(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const { size } = await file.stat();
    if (size === 0) return undefined;
    const { buffer } = await file.read(Buffer.alloc(1), 0, 1, size - 1);
    return buffer.toString("latin1");
  } finally {
    await file.close();
  }
}
