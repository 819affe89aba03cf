/** Small promise wrappers around ssh2's Client for the testbed tests. */
import ssh2 from "ssh2";
import type { Client, ClientChannel, ConnectConfig, SFTPWrapper } from "ssh2";
import { readFileSync } from "node:fs";
import type { Testbed, TestbedHost } from "../../src/testbed/index.js";

export function connect(config: ConnectConfig): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.once("ready", () => {
      // Without it, Nagle's algorithm and delayed ACKs add ~40 ms to every small request.
      client.setNoDelay(true);
      resolve(client);
    });
    client.on("error", reject);
    client.connect(config);
  });
}

/** Connects to a testbed host with the testbed's key, checking the host key against known_hosts. */
export function connectTo(_testbed: Testbed, host: TestbedHost, extra: ConnectConfig = {}): Promise<Client> {
  const expected = Buffer.from(host.hostKey.split(" ")[1]!, "base64");
  return connect({
    host: host.address,
    port: host.port,
    username: host.user,
    privateKey: readFileSync(host.identityFile),
    hostVerifier: (key: Buffer) => key.equals(expected),
    readyTimeout: 5000,
    ...extra,
  });
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: string | undefined;
}

export function exec(client: Client, command: string, options: { stdin?: string; pty?: boolean; onChannel?: (ch: ClientChannel) => void } = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    client.exec(command, { pty: options.pty ?? false }, (err, channel) => {
      if (err) return reject(err);
      let stdout = "";
      let stderr = "";
      let code: number | null = null;
      let signal: string | undefined;
      channel.on("data", (d: Buffer) => (stdout += d.toString()));
      channel.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      channel.on("exit", (c: number | null, s?: string) => {
        code = c;
        signal = s;
      });
      channel.on("close", () => resolve({ stdout, stderr, code, signal }));
      if (options.stdin !== undefined) channel.end(options.stdin);
      options.onChannel?.(channel);
    });
  });
}

export function sftpOf(client: Client): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp))));
}

/** Promisifies one callback-style SFTP call. */
export function call<T = void>(fn: (cb: (err: Error | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}
