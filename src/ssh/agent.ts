/**
 * paramiko's `Agent`: the keys of a running ssh-agent (`SSH_AUTH_SOCK`), which signs for us.
 */
import ssh2 from "ssh2";
import type { BaseAgent, ParsedKey } from "ssh2";
import { SSHException } from "./errors.js";
import { PKey } from "./pkey.js";

const { createAgent } = ssh2;

/** A key held by the agent; its private half never leaves the agent. */
export class AgentKey extends PKey {
  readonly #agent: Agent;
  constructor(agent: Agent, key: ParsedKey) {
    super(key);
    this.#agent = agent;
  }

  override canSign(): boolean {
    return true;
  }

  /**
   * A local key's synchronous signature cannot come from an agent, which answers over a socket:
   * this throws, pointing to `signWithAgent`. (SSHClient and Transport sign through the agent
   * themselves.)
   */
  override signSshData(_data: Buffer, _algorithm?: string): Buffer {
    throw new SSHException("Cannot sign synchronously with an agent's key: use await key.signWithAgent(data) (the agent answers over its socket)");
  }

  /** Signs with the agent (asynchronous, unlike a local key's `signSshData`). */
  signWithAgent(data: Buffer, algorithm?: "sha256" | "sha512"): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.#agent.ssh2Agent.sign(this.parsed, data, algorithm ? { hash: algorithm } : {}, (error, signature) =>
        error ? reject(error) : resolve(signature!),
      );
    });
  }
}

/** A connection to ssh-agent. Without an agent, `getKeys()` resolves an empty list. */
export class Agent {
  /** The agent socket (or `"pageant"` on Windows), or undefined when there is none. */
  readonly socketPath: string | undefined;
  readonly #agent: BaseAgent | undefined;

  constructor(socketPath: string | undefined = process.env["SSH_AUTH_SOCK"]) {
    this.socketPath = socketPath || undefined;
    this.#agent = this.socketPath ? createAgent(this.socketPath) : undefined;
  }

  /** @internal The ssh2 agent, for ssh2's own agent authentication. */
  get ssh2Agent(): BaseAgent {
    if (!this.#agent) throw new Error("Cannot use the agent: SSH_AUTH_SOCK is not set");
    return this.#agent;
  }

  /** Whether an agent socket is configured. */
  get available(): boolean {
    return this.#agent !== undefined;
  }

  /** The agent's keys. */
  getKeys(): Promise<AgentKey[]> {
    const agent = this.#agent;
    if (!agent) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      agent.getIdentities((error, keys) => {
        if (error) reject(error);
        else resolve((keys ?? []).map((key) => new AgentKey(this, key as ParsedKey)));
      });
    });
  }

  /** Nothing to release: every request uses its own socket connection. Kept for paramiko's API. */
  close(): void {}
}
