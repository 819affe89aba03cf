/**
 * Keys: paramiko's `PKey` and its `RSAKey`, `ECDSAKey`, `Ed25519Key`, over ssh2's key parser
 * (OpenSSH and PEM formats, encrypted or not).
 */
import { createHash, createPrivateKey, createPublicKey } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import ssh2 from "ssh2";
import type { ParsedKey } from "ssh2";
import { PasswordRequiredException, SSHException } from "./errors.js";
import { expandHome } from "./expand-home.js";
import { generateOpenSshKeyPair } from "./keygen.js";
import { isUnencryptedOpenSshKey, openSshPrivateKey } from "./openssh-key-format.js";

const { utils } = ssh2;

export interface KeyLoadOptions {
  /** The passphrase of an encrypted key (`password` is paramiko's older name for it). */
  passphrase?: string | Buffer | undefined;
  password?: string | Buffer | undefined;
}

/** A public or private SSH key. */
export class PKey {
  readonly #key: ParsedKey;
  readonly #source: string | undefined;

  /** Wraps a key parsed by ssh2 (use the static constructors instead). */
  constructor(key: ParsedKey, source?: string) {
    this.#key = key;
    this.#source = source;
  }

  /** Parses a key from its text (OpenSSH, PEM, or a public `type base64` line) or its wire blob. */
  static fromPrivateKey(data: string | Buffer, options: KeyLoadOptions = {}): PKey {
    const passphrase = options.passphrase ?? options.password;
    const parsed = utils.parseKey(data, passphrase);
    const key = Array.isArray(parsed) ? (parsed[0] as ParsedKey | undefined) : parsed;
    if (key === undefined) throw new SSHException("Cannot parse key: no key found");
    if (key instanceof Error) {
      if (passphrase === undefined && /encrypted|passphrase/i.test(key.message)) {
        throw new PasswordRequiredException("Cannot load key: it is encrypted and no passphrase was given", { username: "" });
      }
      throw new SSHException(`Cannot parse key: ${key.message}`, { cause: key });
    }
    const KeyClass = keyClassOf(key.type);
    return new KeyClass(key, typeof data === "string" ? data : data.toString("latin1"));
  }

  /** Reads and parses a key file (`~/` is the home folder), detecting its type (paramiko's `PKey.from_path`). */
  static async fromPrivateKeyFile(path: string, options: KeyLoadOptions = {}): Promise<PKey> {
    let data: Buffer;
    try {
      data = await readFile(expandHome(path));
    } catch (error) {
      // EISDIR and its kin do not name the file: say which key file it was.
      const message = (error as Error).message;
      if (!message.includes(path)) (error as Error).message = `Cannot read key file ${path}: ${message}`;
      throw error;
    }
    try {
      return PKey.fromPrivateKey(data, options);
    } catch (error) {
      if (error instanceof SSHException) error.message = `${error.message} (${path})`;
      throw error;
    }
  }

  /** paramiko 3.2's name for {@link fromPrivateKeyFile}. */
  static fromPath(path: string, options: KeyLoadOptions = {}): Promise<PKey> {
    return PKey.fromPrivateKeyFile(path, options);
  }

  /** A public key from its type name and wire blob (the middle field of a known_hosts line). */
  static fromTypeString(keyType: string, keyBytes: Buffer): PKey {
    const key = PKey.fromPrivateKey(`${keyType} ${keyBytes.toString("base64")}`);
    if (key.getName() !== keyType && !key.getName().startsWith(keyType.split("-cert")[0]!)) {
      throw new SSHException(`Cannot parse key: blob is ${key.getName()}, not ${keyType}`);
    }
    return key;
  }

  /** A public key from `type base64` text. */
  static fromPublicKey(line: string): PKey {
    return PKey.fromPrivateKey(line.trim().split(/\s+/).slice(0, 2).join(" "));
  }

  /** The ssh2 key, for passing to ssh2 directly. */
  get parsed(): ParsedKey {
    return this.#key;
  }

  /** The key type on the wire: `"ssh-ed25519"`, `"ecdsa-sha2-nistp256"`, `"ssh-rsa"`. */
  getName(): string {
    return this.#key.type;
  }

  /** `"RSA"`, `"ECDSA"`, `"ED25519"`. */
  get algorithmName(): string {
    const name = this.getName();
    if (name.includes("rsa")) return "RSA";
    if (name.includes("ecdsa")) return "ECDSA";
    if (name.includes("ed25519")) return "ED25519";
    return name.toUpperCase();
  }

  /** The key size in bits. */
  getBits(): number {
    const name = this.getName();
    if (name.includes("ed25519")) return 256;
    const match = /nistp(\d+)/.exec(name);
    if (match) return Number(match[1]);
    const details = createPublicKey(this.#key.getPublicPEM()).asymmetricKeyDetails;
    return details?.modulusLength ?? 0;
  }

  /** The public key's wire blob (paramiko's `asbytes()`). */
  asBytes(): Buffer {
    return this.#key.getPublicSSH();
  }

  /** The blob in base64, as it stands in known_hosts and authorized_keys. */
  getBase64(): string {
    return this.asBytes().toString("base64");
  }

  /** The legacy MD5 fingerprint (paramiko's `get_fingerprint()`). */
  getFingerprint(): Buffer {
    return createHash("md5").update(this.asBytes()).digest();
  }

  /** `SHA256:<base64 without padding>`, as `ssh-keygen -l` prints it. */
  get fingerprint(): string {
    return `SHA256:${createHash("sha256").update(this.asBytes()).digest("base64").replace(/=+$/, "")}`;
  }

  /** The comment of the key file, if any. */
  get comment(): string {
    return this.#key.comment;
  }

  /** Whether this holds the private half. */
  canSign(): boolean {
    return this.#key.isPrivateKey();
  }

  /** Signs data; RSA uses rsa-sha2-256 unless told otherwise. */
  signSshData(data: Buffer, algorithm?: string): Buffer {
    if (!this.canSign()) throw new SSHException("Cannot sign: this is a public key");
    const hash = algorithm ?? (this.getName() === "ssh-rsa" ? "sha256" : undefined);
    const signature = this.#key.sign(data, hash);
    if (signature instanceof Error) throw new SSHException(`Cannot sign: ${(signature as Error).message}`);
    return signature;
  }

  /** Checks a signature made by this key. */
  verifySshSig(data: Buffer, signature: Buffer, algorithm?: string): boolean {
    const hash = algorithm ?? (this.getName() === "ssh-rsa" ? "sha256" : undefined);
    return this.#key.verify(data, signature, hash) === true;
  }

  /** Whether two keys have the same public half. */
  equals(other: PKey): boolean {
    return this.asBytes().equals(other.asBytes());
  }

  /** `type base64`, the public key line. */
  toString(): string {
    return `${this.getName()} ${this.getBase64()}`;
  }

  /**
   * Writes the private key (mode 0600), encrypted with `password` when given: `"openssh"` (the
   * default, what `ssh-keygen` writes: aes256-ctr with the bcrypt KDF when encrypted; a key loaded
   * from an unencrypted OpenSSH file and written without a password is written as it was read) or
   * `"pem"` (RSA and ECDSA only: PKCS#1 / SEC1, encrypted with AES-256-CBC).
   */
  async writePrivateKeyFile(path: string, options: { password?: string; fileFormat?: "pem" | "openssh" } = {}): Promise<void> {
    await writeFile(expandHome(path), this.privateKeyText(options), { mode: 0o600 });
  }

  /** The private key text {@link writePrivateKeyFile} writes. */
  privateKeyText(options: { password?: string; fileFormat?: "pem" | "openssh" } = {}): string {
    if (!this.canSign()) throw new SSHException("Cannot write a private key: this is a public key");
    const format = options.fileFormat ?? "openssh";
    if (format === "openssh") {
      if (options.password === undefined && this.#source !== undefined && isUnencryptedOpenSshKey(this.#source)) return this.#source;
      return openSshPrivateKey(this.getName(), createPrivateKey(this.#key.getPrivatePEM()), this.asBytes(), { passphrase: options.password, comment: this.comment });
    }
    if (this.algorithmName === "ED25519") {
      throw new SSHException('Cannot write an Ed25519 key as PEM: OpenSSH and ssh2 read Ed25519 keys only in the OpenSSH format (fileFormat "openssh")');
    }
    const key = createPrivateKey(this.#key.getPrivatePEM());
    const type: "pkcs1" | "sec1" = this.algorithmName === "RSA" ? "pkcs1" : "sec1";
    const exported =
      options.password !== undefined
        ? key.export({ type: type as "pkcs1", format: "pem", cipher: "aes-256-cbc", passphrase: options.password })
        : key.export({ type: type as "pkcs1", format: "pem" });
    return exported.toString();
  }

  /** Generates a new key pair (`"ed25519"`, `"ecdsa"` with 256/384/521 bits, `"rsa"` with `bits`). */
  static generateKey(type: "ed25519" | "ecdsa" | "rsa", bits?: number): PKey {
    return PKey.fromPrivateKey(generateOpenSshKeyPair(type, { bits }).private);
  }
}

/** An RSA key. */
export class RSAKey extends PKey {
  /** A new RSA key pair. */
  static async generate(bits = 3072): Promise<PKey> {
    return PKey.generateKey("rsa", bits);
  }
}

/** An ECDSA key on nistp256, nistp384 or nistp521. */
export class ECDSAKey extends PKey {
  /**
   * A new ECDSA key pair on `curve` (paramiko's `ECDSAKey.generate(curve)`): its size (256, 384,
   * 521) or its name (`"nistp256"`, `"secp384r1"`, `"ecdsa-sha2-nistp521"`).
   */
  static async generate(curve: 256 | 384 | 521 | string = 256): Promise<PKey> {
    return PKey.generateKey("ecdsa", ecdsaBits(curve));
  }
}

/** The size of an ECDSA curve given by size or by name; RangeError for anything else. */
function ecdsaBits(curve: number | string): 256 | 384 | 521 {
  const bits = typeof curve === "number" ? curve : Number(/^(?:ecdsa-sha2-)?(?:nistp|secp|prime|p-?)(\d+)(?:r1|v1)?$/i.exec(curve)?.[1]);
  if (bits === 256 || bits === 384 || bits === 521) return bits;
  throw new RangeError(`ECDSAKey.generate: curve must be 256, 384 or 521 (or nistp256, nistp384, nistp521): got ${JSON.stringify(curve)}`);
}

/** An Ed25519 key. */
export class Ed25519Key extends PKey {
  /** A new Ed25519 key pair (paramiko cannot; node:crypto can). */
  static async generate(): Promise<PKey> {
    return PKey.generateKey("ed25519");
  }
}

function keyClassOf(type: string): typeof PKey {
  if (type.includes("rsa")) return RSAKey;
  if (type.includes("ecdsa")) return ECDSAKey;
  if (type.includes("ed25519")) return Ed25519Key;
  return PKey;
}
