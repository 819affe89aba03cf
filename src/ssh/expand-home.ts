/** `~` in file names, as OpenSSH and paramiko (`os.path.expanduser`) read it. */
import os from "node:os";

/** `~` and `~/x` → the home folder; the rest of the path is left as written. */
export function expandHome(p: string): string {
  if (p === "~") return os.homedir();
  if (p.startsWith("~/")) return os.homedir() + p.slice(1);
  return p;
}
