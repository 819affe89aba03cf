/**
 * Python's `set_executable()` (and `spawn.get_executable()`): the Node binary that runs child
 * processes and the manager's server; by default this process's own (`process.execPath`). A
 * program embedded in another runtime, or one that wants its children on another Node build,
 * names it here.
 */
import { accessSync, constants, statSync } from "node:fs";
import { describe } from "../internal/options.js";

let executable = process.execPath;

/** Sets the Node binary for the children started from now on (a spare child already booted is not used). */
export function setExecutable(path: string): void {
  if (typeof path !== "string" || path === "") throw new TypeError(`setExecutable: path must be the path of a Node binary: got ${describe(path)}`);
  try {
    accessSync(path, constants.X_OK);
    if (!statSync(path).isFile()) throw new Error("not a file");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as NodeJS.ErrnoException).code === "EACCES" ? "not executable" : (error as Error).message;
    throw new TypeError(`setExecutable: ${JSON.stringify(path)} cannot run children: ${reason}`);
  }
  executable = path;
}

/** The Node binary children are started with. */
export function getExecutable(): string {
  return executable;
}
