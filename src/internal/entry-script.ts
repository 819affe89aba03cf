/**
 * The script `node` was started with, as Node found it, for telling whether a module is the
 * program's entry (`isMainModule`, and the functions of the entry that travel by their source).
 *
 * `process.argv[1]` is what was typed: `node app` runs `app.js`, and through a symlinked path the
 * module's URL is the real file's (or the link's, under `--preserve-symlinks-main`). So both sides
 * are compared as real paths, the typed one first resolved as Node resolves a main script.
 */
import { realpathSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

let entry: string | null | undefined;

/** The real path of the program's entry script; null without one (REPL, `-e`, stdin, a worker). */
export function entryScriptPath(): string | null {
  if (entry !== undefined) return entry;
  const typed = process.argv[1];
  if (!typed) return (entry = null);
  let resolved = path.resolve(typed);
  try {
    // Node's own lookup of a main script: the path, then with .js, .json, .node, then a folder's index.
    resolved = createRequire(import.meta.url).resolve(resolved);
  } catch {
    return (entry = null);
  }
  return (entry = realPath(resolved));
}

/** Whether the module at `url` is the program's entry script. */
export function isEntryModule(url: string): boolean {
  const entryPath = entryScriptPath();
  if (entryPath === null || !url.startsWith("file:")) return false;
  return realPath(fileURLToPath(url)) === entryPath;
}

function realPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}
