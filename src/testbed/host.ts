/**
 * One testbed host: a TCP listener on its own loopback address, an ssh2 `Server` with the
 * host's own key behind it, and the faults it was told to show.
 */
import type { ChildProcess } from "node:child_process";
import { timingSafeEqual } from "node:crypto";
import { createServer, type Server as NetServer, type Socket } from "node:net";
import ssh2 from "ssh2";
import type { AuthContext, Connection, Server as SshServer } from "ssh2";
import { isLoopback } from "./addresses.js";
import type { HostFaults } from "./faults.js";
import { acceptSignalsAfterEof } from "./late-signals.js";
import { serveSession } from "./session.js";
import type { ShellPool } from "./shell-pool.js";
import { serveSftp } from "./sftp-server.js";
import { shapeSocket } from "./shaping.js";

/**
 * Algorithms offered. ssh2's native addon is not built here, so its chacha20-poly1305 runs in
 * JavaScript: offer only ciphers that node:crypto runs natively (AES-GCM first, then AES-CTR).
 */
const ALGORITHMS = {
  cipher: ["aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr"],
} as const;

/** How a client may log in to a host. */
export interface Credentials {
  readonly user: string;
  readonly password: string;
  /** The client's public key line (`ssh-ed25519 AAAA...`). */
  readonly publicKey: string;
}

/** Everything a host is made of. */
export interface HostConfig {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly dir: string;
  readonly binDir: string;
  readonly hostPrivateKey: string;
  readonly credentials: Credentials;
  readonly faults: HostFaults;
  /** Warm shells shared by the testbed's hosts. */
  readonly shells: ShellPool;
}

/** A running testbed host. Created by the testbed; see `Testbed.hosts` for what users see. */
export class HostServer {
  readonly config: HostConfig;
  #listener: NetServer | undefined;
  #ssh: SshServer | undefined;
  #sockets = new Set<Socket>();
  #children = new Set<ChildProcess>();
  #connections = 0;

  constructor(config: HostConfig) {
    this.config = config;
  }

  /** Connections accepted so far (refused peers and hanging sockets included). */
  get connections(): number {
    return this.#connections;
  }

  /** Starts listening, unless the host refuses connections (then nothing listens on its address). */
  async start(): Promise<void> {
    if (this.config.faults.refuse) return;
    if (!this.config.faults.hang) {
      this.#ssh = new ssh2.Server(
        { hostKeys: [this.config.hostPrivateKey], algorithms: { cipher: [...ALGORITHMS.cipher] }, ident: `shoal-testbed ${this.config.name}` },
        (client) => this.#onClient(client),
      );
    }
    const listener = createServer({ noDelay: true }, (socket) => this.#onSocket(socket));
    this.#listener = listener;
    await new Promise<void>((resolve, reject) => {
      listener.once("error", reject);
      listener.listen({ host: this.config.address, port: this.config.port, backlog: 511 }, () => {
        listener.off("error", reject);
        resolve();
      });
    });
  }

  /** The port actually bound (differs from the configured one when that was 0). */
  get boundPort(): number {
    const address = this.#listener?.address();
    return typeof address === "object" && address !== null ? address.port : this.config.port;
  }

  /** Closes the listener, every connection and every command still running. */
  async stop(): Promise<void> {
    const listener = this.#listener;
    this.#listener = undefined;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    for (const child of this.#children) killGroup(child);
    this.#children.clear();
    if (listener !== undefined) await new Promise<void>((resolve) => listener.close(() => resolve()));
  }

  #onSocket(socket: Socket): void {
    this.#connections++;
    socket.on("error", () => {});
    if (!isLoopback(socket.remoteAddress)) {
      // The testbed runs commands for anyone who logs in: trust nothing but this machine.
      socket.destroy();
      return;
    }
    this.#sockets.add(socket);
    socket.once("close", () => this.#sockets.delete(socket));
    // A hanging host keeps the socket open and silent: no banner ever comes.
    if (this.config.faults.hang || this.#ssh === undefined) return;
    socket.setNoDelay(true);
    shapeSocket(socket, this.config.faults);
    this.#ssh.injectSocket(socket);
  }

  #onClient(client: Connection): void {
    client.on("error", () => {});
    acceptSignalsAfterEof(client);
    client.on("authentication", (context) => this.#authenticate(context));
    client.on("session", (accept) => {
      const socket = (client as unknown as { _sock: Socket })._sock;
      let dropTimer: NodeJS.Timeout | undefined;
      const startDropClock = () => {
        if (!this.config.faults.drop || dropTimer !== undefined) return;
        dropTimer = setTimeout(() => {
          // A reset, not a polite close: what a crashed host or a cut cable looks like.
          if (typeof socket.resetAndDestroy === "function") socket.resetAndDestroy();
          else socket.destroy();
        }, this.config.faults.dropAfter ?? 100);
        socket.once("close", () => clearTimeout(dropTimer));
      };
      const children = this.#children;
      serveSession(
        accept(),
        {
          name: this.config.name,
          dir: this.config.dir,
          binDir: this.config.binDir,
          user: this.config.credentials.user,
          track(child) {
            children.add(child);
            child.once("exit", () => children.delete(child));
          },
          onActivity: startDropClock,
          takeShell: (command, env) => this.config.shells.take(command, this.config.dir, env),
          drops: this.config.faults.drop === true,
        },
        (sftp) => {
          startDropClock();
          serveSftp(sftp, this.config.dir);
        },
      );
    });
  }

  #authenticate(context: AuthContext): void {
    const { credentials, faults } = this.config;
    if (faults.authFail || context.username !== credentials.user) return context.reject(["publickey", "password"]);
    switch (context.method) {
      case "password":
        return equalSecrets(context.password, credentials.password) ? context.accept() : context.reject(["publickey", "password"]);
      case "publickey": {
        const allowed = ssh2.utils.parseKey(credentials.publicKey);
        if (allowed instanceof Error || Array.isArray(allowed)) return context.reject();
        if (context.key.algo !== allowed.type || !context.key.data.equals(allowed.getPublicSSH())) {
          return context.reject(["publickey", "password"]);
        }
        // Without a signature the client only asks whether the key would do; with one, check it.
        if (context.signature === undefined) return context.accept();
        const valid = context.blob !== undefined && allowed.verify(context.blob, context.signature, context.hashAlgo);
        return valid === true ? context.accept() : context.reject(["publickey", "password"]);
      }
      default:
        return context.reject(["publickey", "password"]);
    }
  }
}

function equalSecrets(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function killGroup(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
  } catch {
    child.kill("SIGKILL");
  }
}
