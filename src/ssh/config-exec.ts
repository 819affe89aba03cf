/**
 * ssh_config's `Match exec`: a command, its tokens expanded, run by `/bin/sh -c` as OpenSSH runs it
 * (stdin and stdout to /dev/null, stderr shown); it matches when it exits 0.
 *
 * OpenSSH waits for it however long it takes; shoal bounds it, so that a command that never exits
 * fails the lookup (naming it) rather than hanging it. The synchronous runner (for `lookup`, as
 * paramiko's) can only kill the shell. The asynchronous one also stops at an abort signal; with
 * `ownGroup` it starts the command in a process group of its own, whose whole is killed (and
 * killed at this process's exit), at the cost of the terminal: such a command cannot prompt.
 */
import { spawn, spawnSync } from "node:child_process";
import { ConfigParseError } from "./errors.js";
import { forgetGroup, killGroup, trackGroup } from "../internal/process-group.js";

export interface ExecRequest {
  /** The command as the config gives it (for messages). */
  command: string;
  /** The command with its `%` tokens expanded: what the shell runs. */
  expanded: string;
  /** Where its `Match` line is (`~/.ssh/config line 4`). */
  where: string;
}

export interface ExecOptions {
  /** Whole ms; undefined for no bound. */
  timeout?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Run it in a process group (and session) of its own. */
  ownGroup?: boolean | undefined;
}

function timedOut(request: ExecRequest, timeout: number): ConfigParseError {
  return new ConfigParseError(`${request.where}: Match exec ${JSON.stringify(request.command)}: the command did not exit within ${timeout} ms (killed)`);
}

function cannotRun(request: ExecRequest, error: Error): ConfigParseError {
  return new ConfigParseError(`${request.where}: Match exec ${JSON.stringify(request.command)}: cannot run /bin/sh: ${error.message}`);
}

/** Runs the command and waits. */
export function execMatchesSync(request: ExecRequest, timeout: number | undefined): boolean {
  const run = spawnSync("/bin/sh", ["-c", request.expanded], { stdio: ["ignore", "ignore", "inherit"], timeout, killSignal: "SIGKILL" });
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT") throw timedOut(request, timeout!);
  if (run.error) throw cannotRun(request, run.error);
  return run.status === 0;
}

/** Runs the command without blocking; past the timeout, or at the signal, it is killed. */
export function execMatches(request: ExecRequest, options: ExecOptions = {}): Promise<boolean> {
  const { timeout, signal, ownGroup = false } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const child = spawn("/bin/sh", ["-c", request.expanded], { stdio: ["ignore", "ignore", "inherit"], detached: ownGroup });
    if (ownGroup) trackGroup(child.pid);
    let failure: unknown;
    const kill = (why: unknown) => {
      failure ??= why;
      if (ownGroup) killGroup(child.pid, "SIGKILL");
      else child.kill("SIGKILL");
    };
    const timer = timeout === undefined ? undefined : setTimeout(() => kill(timedOut(request, timeout)), timeout);
    const onAbort = () => kill(signal!.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const settle = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    child.once("error", (error) => {
      settle();
      if (ownGroup) forgetGroup(child.pid);
      reject(cannotRun(request, error));
    });
    child.once("exit", (code) => {
      settle();
      // What the command left running in the background is its own business, as in OpenSSH;
      // only a command that was killed takes its group along (done above).
      if (ownGroup) forgetGroup(child.pid);
      if (failure !== undefined) reject(failure);
      else resolve(code === 0);
    });
  });
}
