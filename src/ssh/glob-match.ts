/**
 * OpenSSH's host patterns (`*` and `?`), shared by known_hosts and ssh_config. On its own so that
 * reading ssh_config does not load ssh2 (the fleet's early connections are opened before it).
 */

/** OpenSSH's `*` and `?` patterns, case-insensitive. */
export function globMatch(pattern: string, text: string): boolean {
  if (!pattern.includes("*") && !pattern.includes("?")) return pattern.toLowerCase() === text.toLowerCase();
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${source}$`, "i").test(text);
}
