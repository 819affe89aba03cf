/**
 * Warm shells for exec requests.
 *
 * Forking this Node process costs milliseconds (its address space is large), and `spawn` forks on
 * the event loop: fifty commands at once wait ~fifty forks in a row, and that, not SSH, would be
 * what a fleet tool measures. So the testbed keeps a few `/bin/sh` processes started in idle time,
 * each blocked on `read`; a command takes one, sends it one line (`cd DIR; export ...; exec
 * /bin/sh -c 'COMMAND'`), and the shell becomes the command's `sh -c`: same pid, same process group,
 * its stdin, stdout, stderr, exit status and signals, as if freshly spawned. `sh`'s `read` takes the
 * line byte by byte, so what the client sends on stdin after it reaches the command intact.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { shellQuote } from "../internal/shell-quote.js";

/** The line a warm shell waits for, then runs. */
const WAIT_SCRIPT = 'IFS= read -r line || exit 0; eval "$line"';

export class ShellPool {
  readonly #size: number;
  readonly #idle: ChildProcess[] = [];
  #filling = false;
  #closed = false;
  #whenFull: (() => void)[] = [];

  /** @param size warm shells kept ready once commands start arriving. */
  constructor(size: number) {
    this.#size = size;
  }

  /**
   * A warm shell turned into `command` (cwd `dir`, environment `env` on top of its own), or
   * undefined when none is ready (or the command cannot go on one line): then spawn as usual.
   */
  take(command: string, dir: string, env: Readonly<Record<string, string>>): ChildProcess | undefined {
    this.#refillSoon();
    if (command.includes("\n") || command.includes("\r")) return undefined;
    let child: ChildProcess | undefined;
    while ((child = this.#idle.pop()) !== undefined) {
      if (child.exitCode === null && child.signalCode === null && child.stdin?.writable) break;
    }
    if (child === undefined) return undefined;
    child.removeAllListeners("exit");
    const exports = Object.entries(env)
      .filter(([name]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      .map(([name, value]) => `${name}=${shellQuote(value)}`)
      .join(" ");
    // A fresh `sh -c` rather than `eval` in the warm shell: the command sees none of the warm
    // shell's variables ($line), and its errors read as sh -c's (`/bin/sh: 1: x: not found`, not
    // `eval: x: ...`). The execve costs the warm shell well under a millisecond, and Node nothing.
    // `cd` set OLDPWD, which a freshly spawned command has not.
    child.stdin!.write(`cd ${shellQuote(dir)} || exit 1; unset OLDPWD; export ${exports}; exec /bin/sh -c ${shellQuote(command)}\n`);
    return child;
  }

  /** Starts filling the pool now; resolves once it is full (or closed). */
  fill(): Promise<void> {
    this.#refillSoon();
    if (!this.#filling) return Promise.resolve();
    return new Promise((resolve) => this.#whenFull.push(resolve));
  }

  /** Kills the idle shells; later `take` calls return undefined. */
  close(): void {
    this.#closed = true;
    for (const child of this.#idle.splice(0)) child.kill("SIGKILL");
    for (const resolve of this.#whenFull.splice(0)) resolve();
  }

  #refillSoon(): void {
    if (this.#filling || this.#closed) return;
    this.#filling = true;
    // One spawn per turn of the event loop, so the commands being served go first.
    const step = () => {
      if (this.#closed || this.#idle.length >= this.#size) {
        this.#filling = false;
        for (const resolve of this.#whenFull.splice(0)) resolve();
        return;
      }
      const child = spawn("/bin/sh", ["-c", WAIT_SCRIPT], { cwd: "/", stdio: ["pipe", "pipe", "pipe"], detached: true, env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin" } });
      child.on("error", () => {});
      child.stdin!.on("error", () => {});
      child.once("exit", () => {
        const i = this.#idle.indexOf(child);
        if (i >= 0) this.#idle.splice(i, 1);
      });
      this.#idle.push(child);
      setImmediate(step);
    };
    setImmediate(step);
  }
}

