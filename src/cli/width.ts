/**
 * The width of a column of names. `Math.max(...names)` spreads every name onto the call stack,
 * which overflows past ~125,000 hosts: this loops.
 */
export function widest(items: Iterable<{ readonly name: string }>, least = 0): number {
  let width = least;
  for (const item of items) if (item.name.length > width) width = item.name.length;
  return width;
}
