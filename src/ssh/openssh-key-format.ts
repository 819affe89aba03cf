/**
 * Private keys in OpenSSH's own format (`-----BEGIN OPENSSH PRIVATE KEY-----`), written from the key
 * material, optionally encrypted as `ssh-keygen -N` does (aes256-ctr, bcrypt KDF, 16 rounds).
 *
 * The only format OpenSSH reads for Ed25519 keys, and the only one with a passphrase for them: their
 * PKCS#8 PEM is read by neither ssh2 nor ssh-keygen.
 */
import { createCipheriv, randomBytes } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { createRequire } from "node:module";

const CIPHER = "aes256-ctr";
const KEY_LENGTH = 32;
const IV_LENGTH = 16;
const BLOCK = 16;
const SALT_LENGTH = 16;
const ROUNDS = 16;

/** The format's bcrypt KDF, from the package ssh2 reads such keys with. */
function bcryptPbkdf(passphrase: Buffer, salt: Buffer, length: number, rounds: number): Buffer {
  const ssh2Require = createRequire(createRequire(import.meta.url).resolve("ssh2"));
  const { pbkdf } = ssh2Require("bcrypt-pbkdf") as {
    pbkdf(pass: Buffer, passLength: number, salt: Buffer, saltLength: number, key: Buffer, keyLength: number, rounds: number): number;
  };
  const out = Buffer.alloc(length);
  if (pbkdf(passphrase, passphrase.length, salt, salt.length, out, length, rounds) !== 0) throw new Error("bcrypt-pbkdf failed");
  return out;
}

function string(data: Buffer | string): Buffer {
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

/** An SSH mpint from a JWK base64url number: no leading zeros, a zero byte where the sign bit is set. */
function mpint(base64url: string | undefined): Buffer {
  let bytes = Buffer.from(base64url ?? "", "base64url");
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  bytes = bytes.subarray(start);
  return string(bytes.length > 0 && bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

/** The private fields of a key, as the format lists them after the key type. */
function privateFields(keyType: string, key: KeyObject, publicBlob: Buffer): Buffer {
  const jwk = key.export({ format: "jwk" });
  if (keyType === "ssh-ed25519") {
    const publicKey = Buffer.from(jwk.x ?? "", "base64url");
    return Buffer.concat([string(keyType), string(publicKey), string(Buffer.concat([Buffer.from(jwk.d ?? "", "base64url"), publicKey]))]);
  }
  if (keyType === "ssh-rsa") {
    return Buffer.concat([string(keyType), mpint(jwk.n), mpint(jwk.e), mpint(jwk.d), mpint(jwk.qi), mpint(jwk.p), mpint(jwk.q)]);
  }
  if (keyType.startsWith("ecdsa-sha2-")) {
    // The public blob is string type, string curve, string point: the point is what follows.
    const curve = keyType.slice("ecdsa-sha2-".length);
    const point = publicBlob.subarray(4 + keyType.length + 4 + curve.length + 4);
    return Buffer.concat([string(keyType), string(curve), string(point), mpint(jwk.d)]);
  }
  throw new Error(`no OpenSSH private key format for ${keyType}`);
}

/** The key in OpenSSH's private key format, encrypted with `passphrase` when one is given. */
export function openSshPrivateKey(keyType: string, key: KeyObject, publicBlob: Buffer, options: { passphrase?: string | undefined; comment?: string } = {}): string {
  const encrypt = options.passphrase !== undefined && options.passphrase !== "";
  const check = randomBytes(4);
  const unpadded = Buffer.concat([check, check, privateFields(keyType, key, publicBlob), string(options.comment ?? "")]);
  const blockSize = encrypt ? BLOCK : 8;
  const padding = Buffer.from(Array.from({ length: (blockSize - (unpadded.length % blockSize)) % blockSize }, (_, index) => index + 1));
  let secret = Buffer.concat([unpadded, padding]);
  let kdfOptions = Buffer.alloc(0);
  if (encrypt) {
    const salt = randomBytes(SALT_LENGTH);
    const derived = bcryptPbkdf(Buffer.from(options.passphrase!), salt, KEY_LENGTH + IV_LENGTH, ROUNDS);
    const cipher = createCipheriv("aes-256-ctr", derived.subarray(0, KEY_LENGTH), derived.subarray(KEY_LENGTH));
    secret = Buffer.concat([cipher.update(secret), cipher.final()]);
    kdfOptions = Buffer.concat([string(salt), uint32(ROUNDS)]);
  }
  const body = Buffer.concat([
    Buffer.from("openssh-key-v1\0"),
    string(encrypt ? CIPHER : "none"),
    string(encrypt ? "bcrypt" : "none"),
    string(kdfOptions),
    uint32(1),
    string(publicBlob),
    string(secret),
  ]);
  const lines = body.toString("base64").match(/.{1,70}/g) ?? [];
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join("\n")}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

/** Whether the text is an OpenSSH private key stored without encryption. */
export function isUnencryptedOpenSshKey(text: string): boolean {
  const match = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (!match) return false;
  const body = Buffer.from(match[1]!.replace(/\s+/g, ""), "base64");
  const magic = "openssh-key-v1\0";
  if (body.subarray(0, magic.length).toString("latin1") !== magic || body.length < magic.length + 4) return false;
  const length = body.readUInt32BE(magic.length);
  return body.subarray(magic.length + 4, magic.length + 4 + length).toString() === "none";
}
