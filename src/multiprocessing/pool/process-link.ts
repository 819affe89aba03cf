/**
 * The pool's side of a Pool worker process: `node process-entry.js` with two socket pairs carrying
 * length-prefixed frames (the framing of `multiprocessing.connection`): tasks on its descriptor 3,
 * results on its descriptor 4. The first frame on descriptor 3 is the worker's identity (as
 * `Process.start()` sends its child's): its name, the parent's authkey (without which the shoal
 * primitives in a task's arguments could not reach their owner), daemonic, with this process as
 * its parent.
 * The child's stdout is the parent's, as in Python. Its stderr goes through the pool, which
 * forwards it (to the parent's stderr unless told otherwise) and keeps its last lines for the error
 * of a task whose worker dies.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { Socket } from "node:net";
import type { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { serialize } from "node:v8";
import { FrameParser, frameOf } from "../framing.js";
import type { WorkerExit } from "./errors.js";
import { StderrTail } from "./stderr-tail.js";
import type { Outgoing } from "./wire.js";
import type { WorkerEvents, WorkerLink } from "./worker-link.js";
import { inheritedExecArgv } from "../../internal/inherited-exec-argv.js";
import { getExecutable } from "../executable.js";
import { adoptChildProcess, nextChildIdentity, selfIdentity, type Self } from "../process.js";

const ENTRY = fileURLToPath(new URL("./process-entry.js", import.meta.url));
/** After SIGTERM, a worker that is still alive this long later gets SIGKILL (ms). */
const KILL_GRACE_MS = 1000;
/**
 * How long after the worker exits its stderr may stay open (ms): a process the task started may hold
 * the pipe, and the pool must not wait for that process.
 */
const STDERR_GRACE_MS = 200;

export interface ProcessLinkOptions {
  /**
   * Node options of the worker processes, e.g. `["--max-old-space-size=64"]`.
   * @default the parent's (`process.execArgv`) without its debugger, test-runner and watch options
   */
  execArgv?: string[] | undefined;
  /** Environment of the worker processes. @default process.env */
  env?: NodeJS.ProcessEnv | undefined;
  /**
   * Where the workers' stderr goes; `null` drops it. Either way the pool keeps each worker's last
   * lines, and a task whose worker dies gets them in its `WorkerLostError` (`stderr`).
   * @default process.stderr (as in Python, where the children write to the parent's stderr)
   */
  stderr?: Writable | null | undefined;
}

export class ProcessLink implements WorkerLink {
  readonly pid: number | undefined;
  readonly threadId = undefined;
  readonly #child: ChildProcess;
  readonly #tasks: Socket;
  readonly #results: Socket;
  readonly #stderr: Socket;
  readonly #stderrTail = new StderrTail();
  #stderrClosed = false;
  #stderrTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #events: WorkerEvents;
  readonly #parser = new FrameParser(2 ** 31 - 1);
  #exit: WorkerExit | undefined;
  #resultsClosed = false;
  #reported = false;
  #killTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(name: string, events: WorkerEvents, options: ProcessLinkOptions) {
    this.#events = events;
    this.#child = spawn(getExecutable(), [...(options.execArgv ?? inheritedExecArgv()), ENTRY, name], {
      stdio: ["ignore", "inherit", "pipe", "pipe", "pipe"],
      env: options.env ?? process.env,
    });
    this.pid = this.#child.pid;
    // Listed by activeChildren(), as Python lists its pool workers.
    if (this.pid !== undefined) adoptChildProcess(this.#child, name);
    const forward = options.stderr === undefined ? process.stderr : options.stderr;
    this.#stderr = this.#child.stdio[2] as Socket;
    this.#stderr.on("data", (chunk: Buffer) => {
      this.#stderrTail.push(chunk);
      forward?.write(chunk);
    });
    this.#stderr.on("error", () => {});
    this.#stderr.on("close", () => {
      this.#stderrClosed = true;
      this.#report();
    });
    this.#tasks = this.#child.stdio[3] as Socket;
    this.#tasks.on("error", () => {});
    const me = selfIdentity();
    const identity: Self = { name, authkey: me.authkey, daemon: true, identity: nextChildIdentity(), parent: { pid: process.pid, name: me.name } };
    this.#tasks.write(frameOf(serialize(identity)));
    this.#results = this.#child.stdio[4] as Socket;
    this.#results.on("data", (chunk: Buffer) => {
      try {
        this.#parser.push(chunk, this.#events.record);
      } catch (error) {
        // A broken frame means the worker cannot be trusted any more.
        this.#exit ??= { exitCode: null, signal: null, error: error as Error };
        this.kill();
      }
    });
    this.#results.on("error", () => {});
    this.#results.on("close", () => {
      this.#resultsClosed = true;
      this.#report();
    });
    this.#child.on("error", (error) => {
      // spawn itself failed: no exit event will follow.
      this.#exit ??= { exitCode: null, signal: null, error };
      this.#resultsClosed = true;
      this.#report();
    });
    this.#child.on("exit", (code, signal) => {
      this.#exit ??= { exitCode: code, signal };
      this.#report();
    });
  }

  /** Reports the exit once the child is gone AND every byte it wrote has been read. */
  #report(): void {
    if (this.#reported || this.#exit === undefined || !this.#resultsClosed) return;
    if (!this.#stderrClosed) {
      // Its last words are usually in the pipe already; wait a little for them, not for ever.
      this.#stderrTimer ??= setTimeout(() => {
        this.#stderrClosed = true;
        this.#report();
      }, STDERR_GRACE_MS);
      return;
    }
    this.#reported = true;
    if (this.#killTimer !== undefined) clearTimeout(this.#killTimer);
    if (this.#stderrTimer !== undefined) clearTimeout(this.#stderrTimer);
    this.#events.exit({ ...this.#exit, stderr: this.#stderrTail.lines() });
  }

  send(record: Outgoing): void {
    if (this.#tasks.destroyed || this.#tasks.writableEnded) return;
    // Values for another process never hold shared memory (the codec refuses it), so never arrays.
    this.#tasks.write(frameOf(record as Uint8Array));
  }

  ref(): void {
    this.#child.ref();
    (this.#tasks as Socket & { ref(): void }).ref();
    (this.#results as Socket & { ref(): void }).ref();
    (this.#stderr as Socket & { ref(): void }).ref();
  }

  unref(): void {
    this.#child.unref();
    (this.#tasks as Socket & { unref(): void }).unref();
    (this.#results as Socket & { unref(): void }).unref();
    (this.#stderr as Socket & { unref(): void }).unref();
  }

  kill(): void {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.kill("SIGTERM");
    this.#killTimer ??= setTimeout(() => {
      if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill("SIGKILL");
    }, KILL_GRACE_MS);
  }
}
