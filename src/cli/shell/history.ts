/**
 * The shell's history across sessions: one line per entry in `$XDG_STATE_HOME/shoal/shell_history`
 * (default `~/.local/state/shoal/shell_history`; `$SHOAL_STATE_DIR` moves the whole state folder).
 */
import { appendFile, chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { stateDir } from "../../fleet/last-sets.js";

/**
 * The file's mode: `!cmd` lines, and commands typed for the hosts, can hold passwords and tokens,
 * which no one else on the machine may read (as bash's and Python's history files).
 */
const MODE = 0o600;

/** Entries kept. */
export const HISTORY_SIZE = 1000;

/** Where the history lives. */
export function historyFile(): string {
  return join(stateDir(), "shell_history");
}

/** The saved entries, oldest first (empty when there is no file yet). */
export async function loadHistory(file = historyFile()): Promise<string[]> {
  try {
    // A file an older shoal made readable by all is closed to others now.
    await chmod(file, MODE).catch(() => {});
    const lines = (await readFile(file, "utf8")).split("\n").filter((l) => l.trim() !== "");
    if (lines.length > HISTORY_SIZE * 2) {
      // Trim now and then, so the file never grows without bound.
      await writeFile(file, lines.slice(-HISTORY_SIZE).join("\n") + "\n", { mode: MODE });
    }
    return lines.slice(-HISTORY_SIZE);
  } catch {
    return [];
  }
}

/** Appends one entry (at once, so that a crash or a second shell loses nothing). */
export async function saveHistoryLine(line: string, file = historyFile()): Promise<void> {
  try {
    await mkdir(dirname(file), { recursive: true });
    await appendFile(file, line.replace(/\n/g, " ") + "\n", { mode: MODE });
  } catch {
    // History is a convenience: a read-only home must not break the shell.
  }
}
