/**
 * Host sets saved by each run, so that `shoal run @last.failed -- CMD` reruns exactly those hosts.
 *
 * `last.all`, `last.ok`, `last.failed` (every host that was not ok), and one per final state that
 * occurred: `last.nonzero` (the command exited non-zero), `last.timeout`, `last.unreachable`,
 * `last.auth`, `last.hostkey`, `last.killed`. Kept in `$SHOAL_STATE_DIR/last.json`
 * (default `$XDG_STATE_HOME/shoal`, or `~/.local/state/shoal`).
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import type { HostResult } from "./events.js";

/** `$SHOAL_STATE_DIR`, else `$XDG_STATE_HOME/shoal` (ignored when relative, as the XDG spec says), else `~/.local/state/shoal`. */
export function stateDir(): string {
  const xdg = process.env["XDG_STATE_HOME"];
  return process.env["SHOAL_STATE_DIR"] ?? join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), ".local", "state"), "shoal");
}

/** The sets a run's results make, by name (without `@`). */
export function setsOf(results: readonly HostResult[]): Map<string, string[]> {
  const sets = new Map<string, string[]>([
    ["last.all", []],
    ["last.ok", []],
    ["last.failed", []],
  ]);
  for (const r of results) {
    sets.get("last.all")!.push(r.host);
    if (r.state === "ok") sets.get("last.ok")!.push(r.host);
    else {
      sets.get("last.failed")!.push(r.host);
      const name = r.state === "failed" ? "last.nonzero" : `last.${r.state}`;
      if (!sets.has(name)) sets.set(name, []);
      sets.get(name)!.push(r.host);
    }
  }
  return sets;
}

export async function saveSets(sets: ReadonlyMap<string, readonly string[]>, dir = stateDir()): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, "last.json");
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(Object.fromEntries(sets)) + "\n");
  await rename(tmp, file);
}

export async function loadSets(dir = stateDir()): Promise<Map<string, string[]>> {
  try {
    const data = JSON.parse(await readFile(join(dir, "last.json"), "utf8")) as Record<string, unknown>;
    return new Map(Object.entries(data).filter((e): e is [string, string[]] => Array.isArray(e[1]) && e[1].every((x) => typeof x === "string")));
  } catch {
    return new Map();
  }
}
