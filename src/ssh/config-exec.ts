/**
 * ssh_config's `Match exec`: a command, its tokens expanded, run by `/bin/sh -c` as OpenSSH runs it
 * (stdin and stdout to /dev/null, stderr shown); it matches when it exits 0.
 *
 * OpenSSH waits for it however long it takes; shoal bounds it, so that a command that never exits
 * fails the lookup (naming it) rather than hanging it. The asynchronous runner starts the command in
 * its own process group and kills the whole group, so what the command started goes too; the
 * synchronous one (for `lookup`, as paramiko's) can only kill the shell.
 */
import { spawn, spawnSync } from "node:child_process";
import { ConfigParseError } from "./errors.js";
import { killGroup } from "../internal/process-group.js";

export interface ExecRequest {
  /** The command as the config gives it (for messages). */
  command: string;
  /** The command with its `%` tokens expanded: what the shell runs. */
  expanded: string;
  /** Where its `Match` line is (`~/.ssh/config line 4`). */
  where: string;
}

function timedOut(request: ExecRequest, timeout: number): ConfigParseError {
  return new ConfigParseError(`${request.where}: Match exec ${JSON.stringify(request.command)}: the command did not exit within ${timeout} ms (killed)`);
}

function cannotRun(request: ExecRequest, error: Error): ConfigParseError {
  return new ConfigParseError(`${request.where}: Match exec ${JSON.stringify(request.command)}: cannot run /bin/sh: ${error.message}`);
}

/** Runs the command and waits; `timeout` in whole ms, undefined for no bound. */
export function execMatchesSync(request: ExecRequest, timeout: number | undefined): boolean {
  const run = spawnSync("/bin/sh", ["-c", request.expanded], { stdio: ["ignore", "ignore", "inherit"], timeout, killSignal: "SIGKILL" });
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT") throw timedOut(request, timeout!);
  if (run.error) throw cannotRun(request, run.error);
  return run.status === 0;
}

/** Runs the command without blocking; past `timeout` ms its whole process group is killed. */
export function execMatches(request: ExecRequest, timeout: number | undefined): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn("/bin/sh", ["-c", request.expanded], { stdio: ["ignore", "ignore", "inherit"], detached: true });
    let expired = false;
    const timer =
      timeout === undefined
        ? undefined
        : setTimeout(() => {
            expired = true;
            killGroup(child.pid, "SIGKILL");
          }, timeout);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(cannotRun(request, error));
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (expired) reject(timedOut(request, timeout!));
      else resolve(code === 0);
    });
  });
}
