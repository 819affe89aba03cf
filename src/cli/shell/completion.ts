/**
 * Tab completion for the shell: its own `:commands`, groups and hosts after `use` (and in
 * patterns), and command names (common ones, and what is on the local PATH) for the first word.
 */
import { readdirSync } from "node:fs";

/** The shell's own commands. */
export const SHELL_COMMANDS = [":put", ":get", ":hosts", ":groups", ":failed", ":gather", ":timeout", ":help", ":quit", "use"] as const;

/** Commands people run on fleets, offered before the PATH's. */
const COMMON = ["uptime", "hostname", "uname -a", "df -h", "free -m", "systemctl status", "journalctl -n 50", "cat", "ls", "ps aux", "whoami", "id", "date", "tail"];

/** What completion draws from. */
export interface CompletionSource {
  groups(): readonly string[];
  hosts(): readonly string[];
}

/** A readline completer over the source. */
export function completer(source: CompletionSource): (line: string) => [string[], string] {
  let pathCommands: string[] | undefined;
  return (line: string) => {
    const words = line.split(/\s+/);
    const word = words[words.length - 1] ?? "";
    const first = words.length === 1;
    let candidates: readonly string[];
    if (first && (word.startsWith(":") || word.startsWith("u"))) {
      candidates = [...SHELL_COMMANDS, ...(word.startsWith(":") ? [] : (pathCommands ??= scanPath()))];
    } else if (first) {
      candidates = [...COMMON.map((c) => c.split(" ")[0]!), ...(pathCommands ??= scanPath())];
    } else if (words[0] === "use" || words[0] === ":hosts") {
      // A pattern: `@group`, host names, and each item of a list (`web01,@db`) or exclusion (`!web03`).
      const lead = /^(.*[,!&])?/.exec(word)?.[0] ?? "";
      const item = word.slice(lead.length);
      const names = [...source.groups().map((g) => `@${g}`), ...source.hosts()];
      return [unique(names.filter((n) => n.startsWith(item)).map((n) => lead + n)), word];
    } else candidates = [];
    return [unique(candidates.filter((c) => c.startsWith(word))), word];
  };
}

function scanPath(): string[] {
  const found = new Set<string>();
  for (const dir of (process.env["PATH"] ?? "").split(":")) {
    if (dir === "") continue;
    try {
      for (const name of readdirSync(dir)) found.add(name);
    } catch {
      // A PATH entry that does not exist is not an error.
    }
  }
  return [...found].sort();
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}
