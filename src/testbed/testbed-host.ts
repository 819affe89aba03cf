/** What a testbed tells its user about one of its hosts. */
import type { HostFaults } from "./faults.js";

export interface TestbedHost {
  /** The inventory name (`web01`), also what `hostname` prints on the host. */
  readonly name: string;
  /** The group it was made for (`web`). */
  readonly group: string;
  /** Its own loopback address (`127.0.10.1`). */
  readonly address: string;
  readonly port: number;
  /** Its working directory: commands run there, and SFTP serves it. */
  readonly dir: string;
  readonly user: string;
  readonly password: string;
  /** The environment variable the inventory names for the password. */
  readonly passwordEnv: string;
  /** The client private key file that logs in to it. */
  readonly identityFile: string;
  /** Its host public key line (`ssh-ed25519 AAAA...`). */
  readonly hostKey: string;
  /** OpenSSH's SHA256 fingerprint of the host key. */
  readonly fingerprint: string;
  /** The faults it shows (empty for a healthy host). */
  readonly faults: Readonly<HostFaults>;
}
