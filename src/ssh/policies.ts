/**
 * What to do with a server whose host key is not in known_hosts. A key that is known and
 * *different* never reaches a policy: it is refused with `BadHostKeyError`, whatever the policy.
 */
import { SSHException } from "./errors.js";
import type { HostKeys } from "./host-keys.js";
import type { PKey } from "./pkey.js";

/** What a policy may use of the client that asks it. */
export interface HostKeyStore {
  getHostKeys(): HostKeys;
  /** Saves the host keys to the file given to `loadHostKeys`, if there was one. */
  saveHostKeys(filename?: string): Promise<void>;
  /** The file given to `loadHostKeys`, if any. */
  readonly hostKeysFilename: string | undefined;
}

/** Decides about an unknown host key: return (or resolve) to accept, throw to refuse. */
export interface MissingHostKeyPolicy {
  missingHostKey(client: HostKeyStore, hostname: string, key: PKey): void | Promise<void>;
}

/** Refuses unknown hosts: paramiko's (and shoal's) default. */
export class RejectPolicy implements MissingHostKeyPolicy {
  missingHostKey(_client: HostKeyStore, hostname: string, key: PKey): void {
    throw new SSHException(`Server '${hostname}' not found in known_hosts (${key.getName()} ${key.fingerprint})`);
  }
}

/** Accepts unknown hosts and remembers their keys; saves them when `loadHostKeys(file)` was used. */
export class AutoAddPolicy implements MissingHostKeyPolicy {
  async missingHostKey(client: HostKeyStore, hostname: string, key: PKey): Promise<void> {
    client.getHostKeys().add(hostname, key.getName(), key);
    if (client.hostKeysFilename !== undefined) await client.saveHostKeys(client.hostKeysFilename);
  }
}

/**
 * OpenSSH's `StrictHostKeyChecking accept-new`: accepts a host seen for the first time and writes its
 * key to the known_hosts file (the one given to `loadHostKeys`, else `~/.ssh/known_hosts`).
 */
export class AcceptNewPolicy implements MissingHostKeyPolicy {
  async missingHostKey(client: HostKeyStore, hostname: string, key: PKey): Promise<void> {
    client.getHostKeys().add(hostname, key.getName(), key);
    await client.saveHostKeys();
  }
}

/** Accepts unknown hosts with a process warning, without remembering them. */
export class WarningPolicy implements MissingHostKeyPolicy {
  missingHostKey(_client: HostKeyStore, hostname: string, key: PKey): void {
    process.emitWarning(`Unknown ${key.getName()} host key for ${hostname}: ${key.fingerprint}`, { code: "SHOAL_UNKNOWN_HOST_KEY" });
  }
}
