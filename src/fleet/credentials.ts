/**
 * Credentials for a whole run: private keys read and parsed once (not once per host), a passphrase
 * asked once per key file, the `--ask-pass` password asked once, `password_env` per host, the agent.
 */
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import ssh2 from "ssh2";
const { utils } = ssh2;
import type { ParsedKey } from "ssh2";

/** Asks the user something once (a passphrase, a password); the answer is reused for every host. */
export type Prompt = (question: string) => Promise<string>;

export interface CredentialOptions {
  /** The password for hosts without `password_env` (e.g. from `--ask-pass`), or a prompt asked on first need. */
  password?: string | Prompt | undefined;
  /** Asked once per encrypted key file. Without it, encrypted keys are skipped. */
  passphrase?: Prompt | undefined;
  /** ssh-agent socket; default `$SSH_AUTH_SOCK`; `false` disables the agent. */
  agent?: string | false | undefined;
  /** Keys tried when a host names none; default ~/.ssh/id_ed25519, id_ecdsa, id_rsa (those that exist). */
  defaultIdentityFiles?: readonly string[] | undefined;
}

/** Why a key file could not be used (kept to explain an auth failure). */
export interface KeyProblem {
  path: string;
  message: string;
}

export class Credentials {
  readonly #keys = new Map<string, Promise<ParsedKey | KeyProblem>>();
  readonly #options: CredentialOptions;
  #password: Promise<string> | undefined;
  /** Prompts the user has not answered yet. */
  readonly #asking = new Set<Promise<unknown>>();

  constructor(options: CredentialOptions = {}) {
    this.#options = options;
  }

  /** The agent socket, if any. */
  get agent(): string | undefined {
    if (this.#options.agent === false) return undefined;
    return this.#options.agent ?? process.env["SSH_AUTH_SOCK"] ?? undefined;
  }

  /** The identity files a host without its own uses. */
  defaultIdentityFiles(): string[] {
    if (this.#options.defaultIdentityFiles) return [...this.#options.defaultIdentityFiles];
    const dir = join(homedir(), ".ssh");
    return ["id_ed25519", "id_ecdsa", "id_rsa"].map((f) => join(dir, f)).filter((p) => existsSync(p));
  }

  /** A parsed private key, read and decrypted once for the whole run. */
  key(path: string): Promise<ParsedKey | KeyProblem> {
    const expanded = path.startsWith("~/") ? join(homedir(), path.slice(2)) : path;
    let p = this.#keys.get(expanded);
    if (!p) this.#keys.set(expanded, (p = this.#load(expanded)));
    return p;
  }

  async #load(path: string): Promise<ParsedKey | KeyProblem> {
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch (err) {
      return { path, message: `cannot read key: ${(err as Error).message}` };
    }
    let parsed = utils.parseKey(data);
    if (parsed instanceof Error && /passphrase/i.test(parsed.message)) {
      if (!this.#options.passphrase) return { path, message: "key is encrypted and no passphrase was given" };
      const passphrase = await this.#ask(this.#options.passphrase(`Enter passphrase for key '${path}': `));
      parsed = utils.parseKey(data, passphrase);
    }
    if (parsed instanceof Error) return { path, message: parsed.message };
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (!key) return { path, message: "no key in file" };
    return key;
  }

  /** The password for a host: its `password_env` variable, else the shared one (asked once). */
  async password(passwordEnv: string | undefined): Promise<string | undefined> {
    if (passwordEnv) return process.env[passwordEnv];
    const pw = this.#options.password;
    if (pw === undefined) return undefined;
    if (typeof pw === "string") return pw;
    this.#password ??= this.#ask(pw("Password: "));
    return this.#password;
  }

  /**
   * Settles once no prompt waits for the user; undefined when none does. The time spent answering
   * is the user's: hosts' connect deadlines wait for it (see connection.ts).
   */
  get asking(): Promise<void> | undefined {
    if (this.#asking.size === 0) return undefined;
    return Promise.allSettled([...this.#asking]).then(() => undefined);
  }

  #ask<T>(answer: Promise<T>): Promise<T> {
    this.#asking.add(answer);
    const done = () => this.#asking.delete(answer);
    answer.then(done, done);
    return answer;
  }

  /** Whether a shared password is available without asking. */
  get hasPassword(): boolean {
    return this.#options.password !== undefined;
  }
}

export function isKeyProblem(k: ParsedKey | KeyProblem): k is KeyProblem {
  return typeof (k as KeyProblem).message === "string" && typeof (k as KeyProblem).path === "string";
}
