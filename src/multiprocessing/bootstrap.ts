/**
 * The main module of every child process (`Process.start()` forks it). It waits for the start
 * message (and the sockets of any `Connection` arguments), becomes the child's `currentProcess()`,
 * runs the target, flushes what is still being sent, and lets the process end.
 *
 * Exit code: 0 after the target returns, 1 after it throws (the error is printed on stderr under
 * "Process <name>:", as Python prints the traceback), or whatever the target passed to `process.exit`.
 */
import type { Socket } from "node:net";
import { debuglog } from "node:util";
import { deserialize } from "node:v8";
import { decodeFromTransferAsync } from "../internal/codec.js";
import { loadTask } from "../internal/task.js";
import { Process, activeChildren, adoptIdentity, currentProcess, setCurrentProcess } from "./process.js";
import { setReceivedSockets } from "./handles.js";
import { runExitHooks } from "./exit-hooks.js";
import { RUNNING, type StartMessage } from "./bootstrap-protocol.js";

const SPARE_PRELOAD = ["./queue.js", "./simple-queue.js", "./joinable-queue.js", "./lock.js", "./rlock.js", "./semaphore.js", "./condition.js", "./event.js", "./barrier.js", "./value.js"].map(
  (path) => new URL(path, import.meta.url).href,
);

const debug = debuglog("shoal");
debug("child %d: bootstrap loaded at %s ms", process.pid, performance.now().toFixed(1));

let start: StartMessage | undefined;
const sockets: Socket[] = [];

function onMessage(message: unknown, handle?: unknown): void {
  if (start === undefined) {
    start = message as StartMessage;
  } else {
    const socket = handle as Socket;
    socket.pause();
    socket.unref();
    sockets[(message as { handle: number }).handle] = socket;
  }
  if (sockets.filter(Boolean).length === start.sockets) {
    process.off("message", onMessage);
    void main(start);
  }
}

process.on("message", onMessage);
// While the start message is on its way, load the modules the arguments need: those the parent
// named, or for a spare child (which cannot know yet) the usual ones (queues, locks, values).
if (process.argv[2] === "--spare") {
  setTimeout(() => {
    for (const module of SPARE_PRELOAD) import(module).catch(() => undefined);
  }, 0).unref();
} else if (process.argv[2] === "--preload") {
  for (const module of process.argv.slice(3)) import(module).catch(() => undefined);
}

// A spare child whose parent exits before using it.
process.once("disconnect", () => {
  if (start === undefined) process.exit(0);
});

/** Tells the parent the boot is over (it waits for this to fork its next spare child). */
function announceRunning(): void {
  if (process.connected) process.send?.(RUNNING, undefined, undefined, () => undefined);
}

async function main(message: StartMessage): Promise<void> {
  debug("child %d: start message at %s ms", process.pid, performance.now().toFixed(1));
  process.channel?.unref();
  adoptIdentity(message.self);
  if (message.self.daemon) {
    // The parent is gone (it would have killed us at its exit): a daemon does not outlive it.
    process.once("disconnect", () => process.exit(process.exitCode ?? 0));
  }
  let code = 0;
  try {
    setReceivedSockets(sockets);
    const payload = deserialize(message.payload) as { args: unknown; fields: unknown };
    const args = (await decodeFromTransferAsync(payload.args, "process")) as unknown[];
    const fields = (await decodeFromTransferAsync(payload.fields, "process")) as Record<string, unknown> | undefined;
    setReceivedSockets(undefined);
    debug("child %d: arguments decoded at %s ms", process.pid, performance.now().toFixed(1));
    if (message.subclass !== undefined) {
      const namespace = (await import(message.subclass.module)) as Record<string, unknown>;
      const Subclass = namespace[message.subclass.name];
      if (typeof Subclass !== "function" || !(Subclass.prototype instanceof Process)) {
        throw new TypeError(`Cannot run ${message.self.name}: ${message.subclass.module} exports no Process subclass named ${message.subclass.name}`);
      }
      // Rebuilt as Python unpickles: without running the subclass constructor, fields copied over.
      const instance = Reflect.construct(Process, [{ name: message.self.name, daemon: message.self.daemon }], Subclass) as Process;
      Object.assign(instance, fields ?? {});
      setCurrentProcess(instance);
      announceRunning();
      await instance.run();
    } else {
      currentProcess();
      if (message.target !== undefined) {
        const target = (await loadTask(message.target)) as (...args: unknown[]) => unknown;
        debug("child %d: target loaded at %s ms", process.pid, performance.now().toFixed(1));
        announceRunning();
        await target(...args);
      }
    }
  } catch (error) {
    code = 1;
    setReceivedSockets(undefined);
    process.stderr.write(`Process ${message.self.name}:\n${(error as Error)?.stack ?? String(error)}\n`);
  }
  await runExitHooks();
  await Promise.all(activeChildren().filter((child) => !child.daemon).map((child) => child.join()));
  process.exitCode ??= code;
  if (code !== 0) process.exitCode = code;
}
