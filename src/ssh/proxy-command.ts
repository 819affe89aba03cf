/**
 * paramiko's `ProxyCommand`: a shell command whose stdin/stdout carry the SSH connection
 * (`ssh -W %h:%p bastion`, `nc host port`), usable as `connect({ sock })`.
 */
import { spawn } from "node:child_process";
import { Duplex } from "node:stream";
import { ProxyCommandFailure } from "./errors.js";

export class ProxyCommand extends Duplex {
  readonly command: string;
  readonly #child: ReturnType<typeof spawn>;

  constructor(command: string) {
    super();
    this.command = command;
    const child = (this.#child = spawn(command, { shell: true, stdio: ["pipe", "pipe", "inherit"] }));
    child.on("error", (error) => this.destroy(new ProxyCommandFailure(command, error.message, { cause: error })));
    child.on("exit", (code, signal) => {
      if (code !== 0 && !this.destroyed) this.destroy(new ProxyCommandFailure(command, signal ? `killed by ${signal}` : `exited with status ${code}`));
    });
    child.stdout!.on("data", (chunk: Buffer) => {
      if (!this.push(chunk)) child.stdout!.pause();
    });
    child.stdout!.on("end", () => this.push(null));
  }

  override _read(): void {
    this.#child.stdout!.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#child.stdin!.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#child.stdin!.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#child.exitCode === null) this.#child.kill();
    callback(error);
  }
}
