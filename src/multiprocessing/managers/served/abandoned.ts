/**
 * What the server says when a client's connection ends while it holds a lock: one line on the
 * server's stderr (the lock is released right after, so other clients go on).
 */
import type { Session } from "./context.js";

let quiet = false;

/** Silences the reports (tests that kill lock holders on purpose). @internal */
export function setAbandonReports(enabled: boolean): void {
  quiet = !enabled;
}

export function reportAbandoned(kind: string, session: Session): void {
  if (quiet || session.stopping) return;
  process.stderr.write(`shoal manager: connection ${session.id} ended while holding a ${kind}; released it\n`);
}
