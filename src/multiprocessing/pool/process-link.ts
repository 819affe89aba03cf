/**
 * The pool's side of a Pool worker process: `node process-entry.js` with a socket pair on file
 * descriptor 3 carrying length-prefixed frames (the framing of `multiprocessing.connection`).
 * The child's stdout and stderr are the parent's, as in Python.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { FrameParser, frameOf } from "../framing.js";
import type { WorkerExit } from "./errors.js";
import type { WorkerEvents, WorkerLink } from "./worker-link.js";

const ENTRY = fileURLToPath(new URL("./process-entry.js", import.meta.url));
/** After SIGTERM, a worker that is still alive this long later gets SIGKILL (ms). */
const KILL_GRACE_MS = 1000;

export interface ProcessLinkOptions {
  /** Node options of the worker processes, e.g. `["--max-old-space-size=64"]`. @default process.execArgv */
  execArgv?: string[] | undefined;
  /** Environment of the worker processes. @default process.env */
  env?: NodeJS.ProcessEnv | undefined;
}

export class ProcessLink implements WorkerLink {
  readonly pid: number | undefined;
  readonly threadId = undefined;
  readonly #child: ChildProcess;
  readonly #channel: Socket;
  readonly #events: WorkerEvents;
  readonly #parser = new FrameParser(2 ** 31 - 1);
  #exit: WorkerExit | undefined;
  #channelClosed = false;
  #reported = false;
  #killTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(name: string, events: WorkerEvents, options: ProcessLinkOptions) {
    this.#events = events;
    this.#child = spawn(process.execPath, [...(options.execArgv ?? process.execArgv), ENTRY, name], {
      stdio: ["ignore", "inherit", "inherit", "pipe"],
      env: options.env ?? process.env,
    });
    this.pid = this.#child.pid;
    this.#channel = this.#child.stdio[3] as Socket;
    this.#channel.on("data", (chunk: Buffer) => {
      try {
        this.#parser.push(chunk, this.#events.record);
      } catch (error) {
        // A broken frame means the worker cannot be trusted any more.
        this.#exit ??= { exitCode: null, signal: null, error: error as Error };
        this.kill();
      }
    });
    this.#channel.on("error", () => {});
    this.#channel.on("close", () => {
      this.#channelClosed = true;
      this.#report();
    });
    this.#child.on("error", (error) => {
      // spawn itself failed: no exit event will follow.
      this.#exit ??= { exitCode: null, signal: null, error };
      this.#channelClosed = true;
      this.#report();
    });
    this.#child.on("exit", (code, signal) => {
      this.#exit ??= { exitCode: code, signal };
      this.#report();
    });
  }

  /** Reports the exit once the child is gone AND every byte it wrote has been read. */
  #report(): void {
    if (this.#reported || this.#exit === undefined || !this.#channelClosed) return;
    this.#reported = true;
    if (this.#killTimer !== undefined) clearTimeout(this.#killTimer);
    this.#events.exit(this.#exit);
  }

  send(record: Uint8Array): void {
    if (this.#channel.destroyed || this.#channel.writableEnded) return;
    this.#channel.write(frameOf(record));
  }

  ref(): void {
    this.#child.ref();
    (this.#channel as Socket & { ref(): void }).ref();
  }

  unref(): void {
    this.#child.unref();
    (this.#channel as Socket & { unref(): void }).unref();
  }

  kill(): void {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.kill("SIGTERM");
    this.#killTimer ??= setTimeout(() => {
      if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill("SIGKILL");
    }, KILL_GRACE_MS);
  }
}
