/**
 * How testbed hosts are named and grouped: `web01`, `web02`, … `db01`, … with zero padding
 * wide enough for the group.
 */

/** The default groups for `count` hosts: half web, a quarter db, the rest cache (all web below 4). */
export function defaultGroups(count: number): Record<string, number> {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`Testbed hosts must be a whole number of at least 1: got ${count}`);
  if (count < 4) return { web: count };
  const web = Math.ceil(count / 2);
  const db = Math.ceil((count - web) / 2);
  return { web, db, cache: count - web - db };
}

/** The host names of a group: `web01` … `web20`, at least two digits. */
export function groupHostNames(group: string, count: number): string[] {
  const width = Math.max(2, String(count).length);
  return Array.from({ length: count }, (_, i) => `${group}${String(i + 1).padStart(width, "0")}`);
}
