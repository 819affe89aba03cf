/**
 * The main module of a manager's server process (`BaseManager.start()` forks it). It receives the
 * registry and the key over the fork channel, serves, and ends when told to, or as soon as its
 * owner is gone: the fork channel closes when the owner exits, even when it is killed with
 * SIGKILL, and the server then shuts down at once.
 */
import { Server } from "./server.js";
import { loadTask, type TaskRef } from "../../internal/task.js";
import type { TypeSpec } from "./registry.js";
import type { Address } from "../listener.js";
import "./proxy-codec.js";

/** What the owner sends to start the server. @internal */
export interface ServerStart {
  readonly kind: "start";
  readonly registry: readonly TypeSpec[];
  readonly address: Address | undefined;
  readonly authkey: Uint8Array;
  readonly maxMessageSize: number | undefined;
  readonly initializer: TaskRef | undefined;
  readonly initargs: readonly unknown[];
}

/** What the server answers. @internal */
export type ServerStarted = { readonly kind: "ready"; readonly address: Address } | { readonly kind: "error"; readonly message: string; readonly stack: string };

let server: Server | undefined;

function send(message: ServerStarted): void {
  process.send?.(message);
}

async function main(start: ServerStart): Promise<void> {
  try {
    if (start.initializer !== undefined) {
      const initializer = (await loadTask(start.initializer)) as (...args: unknown[]) => unknown;
      await initializer(...start.initargs);
    }
    const registry = new Map(start.registry.map((spec) => [spec.typeid, spec] as const));
    server = new Server(registry, { address: start.address, authkey: Buffer.from(start.authkey), maxMessageSize: start.maxMessageSize });
    await server.ready();
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    send({ kind: "error", message: e.message, stack: e.stack ?? e.message });
    process.exitCode = 1;
    process.disconnect?.();
    return;
  }
  const serving = server.serveForever();
  send({ kind: "ready", address: server.address });
  await serving;
  process.channel?.unref();
  // Give the replies to a "shutdown" request a moment to leave, then end even if something lingers.
  setTimeout(() => process.exit(0), 50).unref();
}

process.on("message", (message: { kind?: string }) => {
  if (message?.kind === "start") void main(message as ServerStart);
  else if (message?.kind === "shutdown") server?.shutdown();
});

process.on("disconnect", () => {
  // The owner is gone (or let go of us): nothing may outlive it.
  server?.shutdown();
  setTimeout(() => process.exit(0), 50).unref();
});
