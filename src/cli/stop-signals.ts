/**
 * The signals that stop a command as Ctrl-C does, and the one listener per signal that a command
 * keeps from its first use to its end, whose handler each phase swaps in and out.
 *
 * Adding and removing listeners per phase loses signals: removing a signal's last listener closes
 * Node's handle for it, and a signal that arrives before the next phase listens (while ssh2 loads,
 * between the early lookups and the run) was dropped, the run then going on to its end. Here a
 * signal that comes while no phase listens is kept for the next one; a second such signal ends
 * the command at once.
 */
import os from "node:os";

/**
 * What stops a run as Ctrl-C does: SIGTERM (a service manager, kill) too, and a hang-up (the
 * terminal closed), after which what the run started must not be left behind.
 */
export const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** How shoal says a signal stopped it. */
export function stoppedBy(signal: NodeJS.Signals): string {
  return signal === "SIGINT" ? "interrupted" : signal === "SIGHUP" ? "hung up" : "terminated";
}

/** The exit status of a command a signal ended: 128 + its number, as the shell reports it. */
export function exitStatusOfSignal(signal: NodeJS.Signals): number {
  return 128 + os.constants.signals[signal];
}

type Handler = (signal: NodeJS.Signals) => void;

let current: Handler | undefined;
let pending: NodeJS.Signals | undefined;
let listening = false;

function dispatch(signal: NodeJS.Signals): void {
  if (current) return current(signal);
  if (pending) process.exit(exitStatusOfSignal(signal));
  pending = signal;
}

/**
 * Makes `handler` the one stop signals reach, until the returned function restores the one before.
 * A signal that came while none listened is handed to it at once.
 */
export function onStopSignals(handler: Handler): () => void {
  if (!listening) {
    listening = true;
    for (const s of STOP_SIGNALS) process.on(s, dispatch);
  }
  const previous = current;
  current = handler;
  if (pending) {
    const signal = pending;
    pending = undefined;
    queueMicrotask(() => handler(signal));
  }
  return () => {
    if (current === handler) current = previous;
  };
}
