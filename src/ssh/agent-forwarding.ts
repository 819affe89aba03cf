/**
 * Agent forwarding on an ssh2 connection that authenticated without ssh2's own agent option.
 *
 * ssh2 answers the server's `auth-agent@openssh.com` channels with the agent of its connect
 * options, and requests forwarding for a session only when it has one. shoal authenticates through
 * its own handlers, so the agent is handed to ssh2 here, before the first forwarding request.
 */
import ssh2 from "ssh2";
import type { BaseAgent, Client } from "ssh2";

const agents = new Map<string, BaseAgent>();

/** ssh2's agent for a socket path (one per path), or the agent given. */
export function ssh2AgentFor(agent: string | BaseAgent): BaseAgent {
  if (typeof agent !== "string") return agent;
  let made = agents.get(agent);
  if (made === undefined) {
    made = ssh2.createAgent(agent);
    agents.set(agent, made);
  }
  return made;
}

/**
 * Lets `client` forward `agent` (the first agent given stays: sshd sets up one forwarding per
 * connection). Throws when ssh2 keeps its agent where this does not look.
 */
export function enableAgentForwarding(client: Client, agent: string | BaseAgent): void {
  const internals = client as unknown as { _agent?: unknown };
  if (!("_agent" in internals)) throw new Error("Cannot forward the agent: this version of ssh2 keeps its agent elsewhere");
  internals._agent ??= ssh2AgentFor(agent);
}

/** ssh2's error when the server refuses the forwarding request, in words. */
export function isForwardingRefused(error: Error): boolean {
  return error.message === "Unable to request agent forwarding";
}
