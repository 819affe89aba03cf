/**
 * paramiko's `ProxyCommand`: a shell command whose stdin/stdout carry the SSH connection
 * (`ssh -W %h:%p bastion`, `nc host port`), usable as `connect({ sock })`.
 *
 * When the command fails (cannot start, exits non-zero, is killed), the stream is destroyed with a
 * `ProxyCommandFailure` saying how, not with what that does to the pipes: its output ends and
 * writes to it fail (EPIPE) before Node reports its exit, so both wait for the exit. After a clean
 * exit the stream ends with the command's output, and finishes and closes as a socket does.
 */
import { spawn } from "node:child_process";
import { Duplex } from "node:stream";
import { ProxyCommandFailure } from "./errors.js";

export class ProxyCommand extends Duplex {
  readonly command: string;
  readonly #child: ReturnType<typeof spawn>;
  /** How the command ended, once it has: null for a clean exit. */
  #ended: { failure: string | null } | undefined;
  #outputEnded = false;
  #endPushed = false;
  /** A write that failed while the command was still running, and its callback. */
  #brokenWrite: { error: Error; callback: (error?: Error | null) => void } | undefined;

  constructor(command: string) {
    super();
    this.command = command;
    const child = (this.#child = spawn(command, { shell: true, stdio: ["pipe", "pipe", "inherit"] }));
    child.on("error", (error) => this.destroy(new ProxyCommandFailure(command, error.message, { cause: error })));
    child.on("exit", (code, signal) => {
      this.#ended = { failure: signal ? `killed by ${signal}` : code !== 0 ? `exited with status ${code}` : null };
      this.#settle();
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

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill();
    callback(error);
  }
}
