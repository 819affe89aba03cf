/**
 * The shell's history across sessions: one line per entry in `$XDG_STATE_HOME/shoal/shell_history`
 * (default `~/.local/state/shoal/shell_history`; `$SHOAL_STATE_DIR` moves the whole state folder).
 */
import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { stateDir } from "../../fleet/last-sets.js";

/** Entries kept. */
export const HISTORY_SIZE = 1000;

/** Where the history lives. */
export function historyFile(): string {
  return join(stateDir(), "shell_history");
}

/** The saved entries, oldest first (empty when there is no file yet). */
export async function loadHistory(file = historyFile()): Promise<string[]> {
  try {
    const lines = (await readFile(file, "utf8")).split("\n").filter((l) => l.trim() !== "");
    if (lines.length > HISTORY_SIZE * 2) {
      // Trim now and then, so the file never grows without bound.
      await writeFile(file, lines.slice(-HISTORY_SIZE).join("\n") + "\n");
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
    await appendFile(file, line.replace(/\n/g, " ") + "\n");
  } catch {
    // History is a convenience: a read-only home must not break the shell.
  }
}
