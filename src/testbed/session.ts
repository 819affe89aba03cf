/**
 * Sessions of a testbed host: exec and shell requests run through the local `/bin/sh` in the
 * host's directory, with a pseudo-terminal when one is asked for, stdin, signals and exit status.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { PseudoTtyInfo, ServerChannel, Session, SFTPWrapper } from "ssh2";
import { shellQuote } from "../internal/shell-quote.js";

/** What a session needs to know about its host. */
export interface SessionHost {
  /** The host's name, seen by commands as $HOSTNAME and $SHOAL_HOST and printed by `hostname`. */
  readonly name: string;
  /** The host's working directory (also $HOME). */
  readonly dir: string;
  /** The folder put first on $PATH (the `hostname` shim lives there). */
  readonly binDir: string;
  /** The user the client logged in as. */
  readonly user: string;
  /** A warm shell turned into the command, when one is ready (see ShellPool). */
  takeShell(command: string, env: Readonly<Record<string, string>>): ChildProcess | undefined;
  /** Called with every child started, so that stopping the testbed can kill it. */
  track(child: ChildProcess): void;
  /** Called when a command or SFTP session starts: the drop fault starts its clock here. */
  onActivity(): void;
  /** Whether the host is set to cut connections mid-command: then no exit status is ever sent. */
  readonly drops: boolean;
}

/** Signals a client may send (RFC 4254 names, without the SIG prefix). */
const SIGNALS = new Set(["ABRT", "ALRM", "FPE", "HUP", "ILL", "INT", "KILL", "PIPE", "QUIT", "SEGV", "TERM", "USR1", "USR2"]);

/** Answers the requests of one session channel. */
export function serveSession(session: Session, host: SessionHost, onSftp: (sftp: SFTPWrapper) => void): void {
  let pty: PseudoTtyInfo | undefined;
  const env: Record<string, string> = {};
  let child: ChildProcess | undefined;

  session.on("pty", (accept, _reject, info) => {
    pty = info;
    accept?.();
  });
  session.on("window-change", (accept) => accept?.());
  session.on("env", (accept, _reject, info) => {
    env[info.key] = info.val;
    accept?.();
  });
  session.on("signal", (accept, _reject, info) => {
    const name = info.name.replace(/^SIG/, "");
    if (child !== undefined && SIGNALS.has(name)) {
      // The command runs in its own process group, so the signal reaches all of it (sh and what it started).
      signalGroup(child, `SIG${name}` as NodeJS.Signals);
    }
    accept?.();
  });
  session.on("exec", (accept, _reject, info) => {
    child = run(accept(), host, info.command, pty, env);
  });
  session.on("shell", (accept) => {
    child = run(accept(), host, undefined, pty, env);
  });
  session.on("sftp", (accept) => onSftp(accept()));
}

function run(channel: ServerChannel, host: SessionHost, command: string | undefined, pty: PseudoTtyInfo | undefined, clientEnv: Record<string, string>): ChildProcess {
  host.onActivity();
  const env: NodeJS.ProcessEnv = {
    ...clientEnv,
    PATH: `${host.binDir}:${process.env["PATH"] ?? "/usr/bin:/bin"}`,
    HOME: host.dir,
    USER: host.user,
    LOGNAME: host.user,
    SHELL: "/bin/sh",
    HOSTNAME: host.name,
    SHOAL_HOST: host.name,
    LANG: clientEnv["LANG"] ?? process.env["LANG"] ?? "C.UTF-8",
  };
  let file = "/bin/sh";
  let args = command === undefined ? ["-i"] : ["-c", command];
  if (pty !== undefined) {
    // No native pty module here: util-linux `script` gives the command a real terminal.
    env["TERM"] = pty.term || "vt100";
    const sizeSetup = `stty cols ${pty.cols || 80} rows ${pty.rows || 24} 2>/dev/null; `;
    const inner = command === undefined ? "exec /bin/sh -i" : `exec /bin/sh -c ${shellQuote(command)}`;
    file = "script";
    args = ["-qfec", sizeSetup + inner, "/dev/null"];
  }
  const warm = pty === undefined && command !== undefined ? host.takeShell(command, env as Record<string, string>) : undefined;
  const child = warm ?? spawn(file, args, { cwd: host.dir, env, stdio: ["pipe", "pipe", "pipe"], detached: true });
  host.track(child);

  child.stdout!.pipe(channel, { end: false });
  child.stderr!.pipe(channel.stderr as NodeJS.WritableStream, { end: false });
  channel.pipe(child.stdin!);
  child.stdin!.on("error", () => {});
  channel.on("error", () => {});
  // The client closing the channel early: as with sshd, a command on a terminal gets SIGHUP (the
  // terminal hangs up); one without runs on, its output going nowhere, until it ends (a client
  // that wants it stopped sends a signal request first).
  channel.on("close", () => {
    if (pty !== undefined && child.exitCode === null && child.signalCode === null) signalGroup(child, "SIGHUP");
  });

  let spawnError: Error | undefined;
  child.on("error", (error) => {
    spawnError = error;
  });
  child.on("close", (code, signal) => {
    if (host.drops || channel.destroyed) return;
    try {
      if (spawnError !== undefined) {
        channel.stderr.write(`${spawnError.message}\n`);
        channel.exit(127);
      } else if (signal !== null) channel.exit(signal.replace(/^SIG/, ""), false, "");
      else channel.exit(code ?? 0);
      channel.end();
    } catch {
      // The connection went away while the command finished: nothing left to tell.
    }
  });
  return child;
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

