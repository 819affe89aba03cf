/**
 * paramiko's `ProxyCommand`: a shell command whose stdin/stdout carry the SSH connection
 * (`ssh -W %h:%p bastion`, `nc host port`), usable as `connect({ sock })`.
 *
 * When the command fails (cannot start, exits non-zero, is killed), the stream is destroyed with a
 * `ProxyCommandFailure` saying how, not with what that does to the pipes: its output ends and
 * writes to it fail (EPIPE) before Node reports its exit, so both wait for the exit. After a clean
 * exit the stream ends with the command's output, and finishes and closes as a socket does.
 *
 * The command runs under `/bin/sh -c` (OpenSSH's `exec` in front is left out, so that a compound
 * command, `a | b` or `if ...; fi`, works too). Destroying the stream ends it (TERM, then KILL after
 * `KILL_AFTER_MS`) and lets go of its pipes, so it never holds the program open. By default it
 * stays in the program's session, as ssh's does, and may prompt on the terminal. With `ownGroup`
 * it gets a process group (and session) of its own: Ctrl-C at the terminal goes to the program
 * alone, which decides when the connection ends; the whole group is ended with the stream, and
 * killed at the program's exit if still there, so nothing it started outlives it; but it has no
 * terminal to prompt on.
 */
import { spawn } from "node:child_process";
import { Duplex } from "node:stream";
import { ProxyCommandFailure } from "./errors.js";
import { forgetGroup, forgetIfEnded, isTracked, killGroup, trackGroup } from "../internal/process-group.js";

/** How long a proxy command has to end after TERM before its group is killed. */
const KILL_AFTER_MS = 2000;
/** How long a failed command's stderr may still be read after its exit, for the reason it gave. */
const STDERR_GRACE_MS = 250;

/** How much of a captured stderr is kept (its end: where the reason for a failure is). */
const STDERR_KEPT = 4096;

export interface ProxyCommandOptions {
  /**
   * `inherit` (default): the command's stderr is this process's. `capture`: it is kept (its last
   * 4 KiB), readable as `stderr`, and its last line is part of a failure's `error`.
   */
  stderr?: "inherit" | "capture";
  /** A process group and session of its own (see above). Default false. */
  ownGroup?: boolean;
}

export class ProxyCommand extends Duplex {
  readonly command: string;
  readonly #child: ReturnType<typeof spawn>;
  /** How the command ended, once it has: null for a clean exit. */
  #ended: { failure: string | null } | undefined;
  #outputEnded = false;
  #endPushed = false;
  /** A write that failed while the command was still running, and its callback. */
  #brokenWrite: { error: Error; callback: (error?: Error | null) => void } | undefined;

  #stderr = "";
  readonly #ownGroup: boolean;

  constructor(command: string, options: ProxyCommandOptions = {}) {
    super();
    this.command = command;
    const capture = options.stderr === "capture";
    this.#ownGroup = options.ownGroup ?? false;
    const child = (this.#child = spawn("/bin/sh", ["-c", command], { stdio: ["pipe", "pipe", capture ? "pipe" : "inherit"], detached: this.#ownGroup }));
    if (this.#ownGroup) trackGroup(child.pid);
    child.stderr?.on("data", (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString("utf8")).slice(-STDERR_KEPT);
    });
    child.on("error", (error) => this.destroy(new ProxyCommandFailure(command, error.message, { cause: error })));
    child.on("exit", (code, signal) => {
      if (this.#ownGroup) forgetIfEnded(child.pid);
      const how = signal ? `killed by ${signal}` : code !== 0 ? `exited with status ${code}` : null;
      const conclude = (): void => {
        const said = this.#stderr.trim().split("\n").pop()?.trim();
        this.#ended = { failure: how !== null && said ? `${how}: ${said}` : how };
        this.#settle();
      };
      // 'exit' can come before the last of stderr is read, and its last line is the reason (a
      // bastion's "kex_exchange_identification", which makes the drop a retry): wait for its end,
      // but not past STDERR_GRACE_MS, for a process the command left running may hold it open.
      const stderr = child.stderr;
      if (how === null || !stderr || stderr.readableEnded || stderr.destroyed) return conclude();
      let concluded = false;
      const once = (): void => {
        if (concluded) return;
        concluded = true;
        clearTimeout(grace);
        conclude();
      };
      const grace = setTimeout(once, STDERR_GRACE_MS);
      stderr.once("end", once).once("close", once);
    });
    // A write into a command that has gone: reported with its exit (see #settle).
    child.stdin!.on("error", () => undefined);
    child.stdout!.on("data", (chunk: Buffer) => {
      if (!this.push(chunk)) child.stdout!.pause();
    });
    child.stdout!.on("end", () => {
      this.#outputEnded = true;
      this.#settle();
    });
  }

  /** Ends the stream, or destroys it with the command's failure, once the command has exited. */
  #settle(): void {
    const ended = this.#ended;
    if (ended === undefined || this.destroyed) return;
    const broken = this.#brokenWrite;
    this.#brokenWrite = undefined;
    if (ended.failure !== null) {
      const failure = new ProxyCommandFailure(this.command, ended.failure, { cause: broken?.error });
      broken?.callback(failure);
      this.destroy(failure);
      return;
    }
    // A clean exit: writes it did not read went to a connection that is over, as on a closed
    // socket; the end of its output ends the stream.
    broken?.callback();
    if (this.#outputEnded && !this.#endPushed) {
      this.#endPushed = true;
      this.push(null);
    }
  }

  override _read(): void {
    this.#child.stdout!.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#child.stdin!.write(chunk, (error) => {
      if (error === null || error === undefined) return callback();
      this.#brokenWrite = { error, callback };
      this.#settle();
    });
  }

  override _final(callback: (error?: Error | null) => void): void {
    const stdin = this.#child.stdin!;
    // A command that has exited has had its stdin closed: ending it would never call back.
    if (stdin.destroyed || this.#ended !== undefined) return callback();
    stdin.end(() => callback());
  }

  /** What the command wrote to stderr (its last 4 KiB), with `stderr: "capture"`. */
  get stderr(): string {
    return this.#stderr;
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const child = this.#child;
    const running = child.exitCode === null && child.signalCode === null;
    if (this.#ownGroup && (running || !forgetIfEnded(child.pid))) {
      // The group, not only the command: what it started (a pipeline's other half) goes too. It
      // stays tracked, so that the program's exit kills it if it outlives the TERM. A group known
      // to have ended is not signalled: its number may be another's by now.
      killGroup(child.pid, "SIGTERM");
      const kill = setTimeout(() => {
        if (isTracked(child.pid) && !forgetIfEnded(child.pid)) killGroup(child.pid, "SIGKILL");
        forgetGroup(child.pid);
      }, KILL_AFTER_MS);
      kill.unref();
    } else if (running) {
      child.kill("SIGTERM");
      const kill = setTimeout(() => child.kill("SIGKILL"), KILL_AFTER_MS);
      kill.unref();
      child.once("exit", () => clearTimeout(kill));
    }
    // Nothing of it may keep the program running: its pipes are let go.
    for (const pipe of [child.stdin, child.stdout, child.stderr]) pipe?.destroy();
    child.unref();
    callback(error);
  }
}
