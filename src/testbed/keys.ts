/**
 * Key material of the testbed: ed25519 host keys and client keys, and the lines that
 * describe them (known_hosts entries, SHA256 fingerprints).
 */
import { createHash } from "node:crypto";
import { generateOpenSshKeyPair } from "../ssh/keygen.js";

/** An ed25519 key pair in OpenSSH formats. */
export interface KeyPair {
  /** The private key, in OpenSSH's PEM-like format (what `ssh-keygen` writes). */
  readonly privateKey: string;
  /** The public key as one `ssh-ed25519 AAAA... comment` line. */
  readonly publicKey: string;
}

/** Generates an ed25519 key pair (about 0.2 ms: cheap enough for a key per host). */
export function generateKeyPair(comment: string): KeyPair {
  const pair = generateOpenSshKeyPair("ed25519", { comment });
  return { privateKey: pair.private, publicKey: pair.public };
}

/** The `type base64` part of a public key line, without its comment. */
export function publicKeyBody(publicKey: string): string {
  const [type, data] = publicKey.split(/\s+/);
  return `${type} ${data}`;
}

/** OpenSSH's fingerprint of a public key line: `SHA256:` and the unpadded base64 of the hash. */
export function fingerprint(publicKey: string): string {
  const data = publicKey.split(/\s+/)[1] ?? "";
  const hash = createHash("sha256").update(Buffer.from(data, "base64")).digest("base64");
  return `SHA256:${hash.replace(/=+$/, "")}`;
}

/** A known_hosts line naming a host by every name given, as `[name]:port` when the port is not 22. */
export function knownHostsLine(names: readonly string[], port: number, publicKey: string): string {
  const patterns = names.map((name) => (port === 22 ? name : `[${name}]:${port}`));
  return `${patterns.join(",")} ${publicKeyBody(publicKey)}`;
}
