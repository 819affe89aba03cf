/**
 * Python's ordering of priorities, for PriorityQueue.
 *
 * Python compares `(priority, data)` tuples element by element; JS has no tuple ordering, so this
 * gives it: numbers and bigints compare numerically with each other, strings by UTF-16 code units,
 * arrays element by element with the shorter array first when one is a prefix of the other.
 * Values Python could not order (an object against a number, two objects, NaN) count as equal, and
 * equal entries leave the queue in insertion order.
 */

/** A negative number when `a` comes first, positive when `b` does, 0 when they tie. */
export function pythonCompare(a: unknown, b: unknown): number {
  const ta = typeof a;
  const tb = typeof b;
  if ((ta === "number" || ta === "bigint") && (tb === "number" || tb === "bigint")) {
    // `<` compares numbers and bigints exactly across the two types.
    return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  }
  if (ta === "string" && tb === "string") return a === b ? 0 : (a as string) < (b as string) ? -1 : 1;
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const x: unknown = a[i];
      const y: unknown = b[i];
      if (x === y) continue;
      if (!comparable(x, y)) return 0;
      const order = pythonCompare(x, y);
      if (order !== 0) return order;
    }
    return a.length - b.length;
  }
  return 0;
}

function comparable(x: unknown, y: unknown): boolean {
  const tx = typeof x;
  const ty = typeof y;
  if (tx === "number" || tx === "bigint") return ty === "number" || ty === "bigint";
  if (tx === "string") return ty === "string";
  return Array.isArray(x) && Array.isArray(y);
}
