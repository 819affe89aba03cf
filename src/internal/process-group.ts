/**
 * Process groups of children started with `detached: true` (each leads its own): signalled as a
 * whole, so that what a command started goes with it; and SIGKILLed when this process exits while
 * they live, since their own session keeps them from the terminal's signals and nothing else
 * would end them.
 */
const live = new Set<number>();
let hooked = false;

/** Signals a whole process group; false when it has ended (or no such group is ours to signal). */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals | 0): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Ends the group when this process exits, unless it has ended by then (see {@link forgetGroup}). */
export function trackGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  live.add(pid);
  if (hooked) return;
  hooked = true;
  process.on("exit", () => {
    for (const group of live) killGroup(group, "SIGKILL");
  });
}

/** The group needs no ending at exit: it was killed, or nothing of it is left. */
export function forgetGroup(pid: number | undefined): void {
  if (pid !== undefined) live.delete(pid);
}

/** Forgets the group once nothing of it is left (its leader may be gone while its children run); true if so. */
export function forgetIfEnded(pid: number | undefined): boolean {
  if (killGroup(pid, 0)) return false;
  forgetGroup(pid);
  return true;
}

/** Whether the group is still tracked (not known to have ended, nor killed). */
export function isTracked(pid: number | undefined): boolean {
  return pid !== undefined && live.has(pid);
}
