/**
 * Host ranges: `web[01-20].example.com`, `10.0.[0-3].[1-254]`, `node[1-4,7,10-12]`.
 *
 * `expandHostRange` turns one such expression into names; `foldHosts` is its inverse and writes
 * a set of names as compact ranges, the way ClusterShell's NodeSet prints them.
 */
import { isIPv6 } from "node:net";

/** A host-range expression that does not parse, or names no valid host. `index` is the offset of the fault in `text`. */
export class HostRangeError extends SyntaxError {
  override name = "HostRangeError";
  constructor(
    message: string,
    readonly text: string,
    readonly index: number,
  ) {
    super(message);
  }
}

/** Largest number of names one expression may expand to (a typo must not allocate gigabytes). */
export const MAX_EXPANSION = 1_000_000;

/**
 * Checks that `text` can name hosts: letters, digits, ".", "-" and "_", with [ranges] (whose
 * insides `expandHostRange` checks); or a bare IPv6 address (`::1`). Anything else (`web*`, `a b`,
 * `host:22`, `a,b`) would make a host that no pattern selects or no resolver finds.
 * @throws HostRangeError at the first character that cannot be in a name.
 */
export function checkHostNames(text: string): void {
  if (text === "") throw new HostRangeError("Invalid host name \"\": it is empty", text, 0);
  // Most names are plain: one test for them (-H takes up to a million at a time).
  if (/^[A-Za-z0-9_.-]+$/.test(text) || isIPv6(text)) return;
  let depth = 0;
  for (let i = 0; i < text.length; ) {
    const ch = String.fromCodePoint(text.codePointAt(i)!);
    if (ch === "[") depth++;
    else if (ch === "]") depth = Math.max(0, depth - 1);
    else if (depth === 0 && !/^[A-Za-z0-9_.-]$/.test(ch)) {
      throw new HostRangeError(`Invalid host name ${JSON.stringify(text)}: ${JSON.stringify(ch)} at offset ${i} cannot be in a name (expected letters, digits, ".", "-", "_" and [ranges])`, text, i);
    }
    i += ch.length;
  }
}

/** Whether a string contains a bracketed range. */
export function hasRange(text: string): boolean {
  return /\[[^\]]*\]/.test(text);
}

/** Names as `-H` takes them: checked (see `checkHostNames`), then ranges expanded. */
export function expandHostNames(text: string): string[] {
  checkHostNames(text);
  return expandHostRange(text);
}

/**
 * Expands one host-range expression into host names, in order.
 * A range whose start has a leading zero (`[01-20]`) pads every number to the start's width.
 */
export function expandHostRange(text: string): string[] {
  const parts: string[][] = [];
  let i = 0;
  let literal = "";
  let total = 1;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === "]") throw new HostRangeError(`Cannot parse host range ${JSON.stringify(text)}: unexpected "]" at offset ${i}`, text, i);
    if (ch !== "[") {
      literal += ch;
      i++;
      continue;
    }
    const close = text.indexOf("]", i);
    if (close < 0) throw new HostRangeError(`Cannot parse host range ${JSON.stringify(text)}: "[" at offset ${i} is not closed`, text, i);
    if (literal) parts.push([literal]);
    literal = "";
    // Brackets multiply: the product is checked before the next bracket is expanded, so that
    // `a[1-999999]b[1-999999]` is refused without first building a million names per bracket.
    const bracket = expandBracket(text, i + 1, close, Math.floor(MAX_EXPANSION / total));
    total *= bracket.length;
    parts.push(bracket);
    i = close + 1;
  }
  if (literal) parts.push([literal]);
  checkAddressParts(text);
  let names = [""];
  for (const p of parts) names = names.flatMap((prefix) => p.map((s) => prefix + s));
  return names;
}

/**
 * An IPv4 address with ranges in it (`10.0.[0-3].[1-254]`) names no host past 255 in a part: a
 * range that goes further is a typo, said before any of its names is tried.
 */
function checkAddressParts(text: string): void {
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(text.replace(/\[[^\]]*\]/g, "0"))) return;
  for (const m of text.matchAll(/\d+/g)) {
    if (Number(m[0]) > 255) {
      throw new HostRangeError(`Cannot expand host range ${JSON.stringify(text)}: ${m[0]} at offset ${m.index} is past 255, the largest part of an IPv4 address`, text, m.index);
    }
  }
}

/** Expands the bracket `text[start, end)`, refusing it when it would give more than `limit` names. */
function expandBracket(text: string, start: number, end: number, limit: number): string[] {
  const body = text.slice(start, end);
  if (body === "") throw new HostRangeError(`Cannot parse host range ${JSON.stringify(text)}: empty "[]" at offset ${start - 1}`, text, start - 1);
  const out: string[] = [];
  let offset = start;
  for (const item of body.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(item);
    if (!m) {
      throw new HostRangeError(
        `Cannot parse host range ${JSON.stringify(text)}: expected a number or a range like 01-20 at offset ${offset}, got ${JSON.stringify(item)}`,
        text,
        offset,
      );
    }
    const lo = m[1]!;
    const hi = m[2] ?? lo;
    const from = Number(lo);
    const to = Number(hi);
    // Past 2^53 a double no longer counts by one: `n++` would stand still.
    for (const [digits, n] of [[lo, from], [hi, to]] as const) {
      if (!Number.isSafeInteger(n)) {
        throw new HostRangeError(`Cannot expand host range ${JSON.stringify(text)}: ${digits} at offset ${offset} is past ${Number.MAX_SAFE_INTEGER}, the largest number a range may hold`, text, offset);
      }
    }
    if (to < from) {
      throw new HostRangeError(`Cannot parse host range ${JSON.stringify(text)}: range ${item} at offset ${offset} runs backwards`, text, offset);
    }
    // The names so far count, with the brackets before this one: one item each under the limit adds up.
    if (out.length + (to - from + 1) > limit) {
      throw new HostRangeError(`Cannot expand host range ${JSON.stringify(text)}: the names up to ${item} at offset ${offset} exceed the limit of ${MAX_EXPANSION}`, text, offset);
    }
    const width = lo.length > 1 && lo.startsWith("0") ? lo.length : 0;
    for (let n = from; n <= to; n++) out.push(width ? String(n).padStart(width, "0") : String(n));
    offset += item.length + 1;
  }
  return out;
}

/**
 * Writes host names as compact ranges, folding on the last number of each name:
 * `["web01","web02","web03","web05"]` gives `["web[01-03,05]"]`. Ranges that are the same for
 * several names differing in the number before them fold again, as ClusterShell's node sets do:
 * `127.0.1.[1-250]` and `127.0.2.[1-250]` give `127.0.[1-2].[1-250]`. In natural order: numbers
 * by value (`127.0.2.x` before `127.0.10.x`).
 */
export function foldHosts(names: Iterable<string>): string[] {
  let folded = foldOn(new Set(names), lastNumber);
  for (;;) {
    const again = foldOn(folded, numberBeforeRange);
    if (again.length === folded.length) break;
    folded = again;
  }
  return folded.sort(naturalOrder);
}

/** A name cut around the number it is folded on. */
interface Cut {
  prefix: string;
  digits: string;
  suffix: string;
}

/** The last number of a plain name: `web05.x` gives `web`, `05`, `.x`. */
function lastNumber(name: string): Cut | undefined {
  const m = /^(.*?)(\d+)(\D*)$/.exec(name);
  return m ? { prefix: m[1]!, digits: m[2]!, suffix: m[3]! } : undefined;
}

/** The last number before a folded name's first range: `127.0.1.[1-250]` gives `127.0.`, `1`, `.[1-250]`. */
function numberBeforeRange(name: string): Cut | undefined {
  const bracket = name.indexOf("[");
  const c = bracket < 0 ? undefined : lastNumber(name.slice(0, bracket));
  return c && { ...c, suffix: c.suffix + name.slice(bracket) };
}

/** Folds names that differ only in the number `cut` finds; names it finds none in stay as they are. */
function foldOn(names: Iterable<string>, cut: (name: string) => Cut | undefined): string[] {
  interface Group {
    prefix: string;
    suffix: string;
    numbers: Map<number, Set<number>>; // width (0 = unpadded) -> numbers
  }
  const groups = new Map<string, Group>();
  const out: string[] = [];
  for (const name of names) {
    const c = cut(name);
    // A number past 2^53 would fold into its neighbours' values: such a name stays as it is.
    if (!c || c.digits.length > 15) {
      out.push(name);
      continue;
    }
    const key = `${c.prefix}\u0000${c.suffix}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { prefix: c.prefix, suffix: c.suffix, numbers: new Map() }));
    const width = c.digits.length > 1 && c.digits.startsWith("0") ? c.digits.length : 0;
    let set = g.numbers.get(width);
    if (!set) g.numbers.set(width, (set = new Set()));
    set.add(Number(c.digits));
  }
  for (const g of groups.values()) {
    // An unpadded number as wide as a padded class prints the same inside it: 01-09 and 10-20 are one range.
    const unpadded = g.numbers.get(0);
    if (unpadded) {
      for (const [width, set] of g.numbers) {
        if (width === 0) continue;
        for (const n of [...unpadded]) {
          if (String(n).length === width) {
            set.add(n);
            unpadded.delete(n);
          }
        }
      }
      if (unpadded.size === 0) g.numbers.delete(0);
    }
    for (const [width, set] of g.numbers) {
      const sorted = [...set].sort((a, b) => a - b);
      const pad = (n: number) => (width ? String(n).padStart(width, "0") : String(n));
      out.push(
        sorted.length === 1 ? `${g.prefix}${pad(sorted[0]!)}${g.suffix}` : `${g.prefix}[${foldNumbers(sorted).map(([a, b]) => (a === b ? pad(a) : `${pad(a)}-${pad(b)}`)).join(",")}]${g.suffix}`,
      );
    }
  }
  return out;
}

/**
 * Compares names piece by piece, runs of digits by their value (`n2` before `n10`), and a range as
 * its first number (`r[01-02]` before `r03`).
 */
function naturalOrder(a: string, b: string): number {
  const pieces = (name: string) => name.replace(/\[(\d+)[^\]]*\]/g, "$1").match(/\d+|\D+/g) ?? [];
  const pa = pieces(a);
  const pb = pieces(b);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    if (/^\d/.test(x) && /^\d/.test(y)) {
      // By value without turning them into numbers, which past 2^53 would tie.
      const [vx, vy] = [x.replace(/^0+/, ""), y.replace(/^0+/, "")];
      if (vx.length !== vy.length) return vx.length - vy.length;
      if (vx !== vy) return vx < vy ? -1 : 1;
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** `foldHosts` joined into one string with its count: `web[01-05,07] (6)`. */
export function describeHosts(names: readonly string[]): string {
  const count = new Set(names).size;
  return `${foldHosts(names).join(",")} (${count})`;
}

function foldNumbers(sorted: readonly number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const n of sorted) {
    const last = runs[runs.length - 1];
    if (last && n === last[1] + 1) last[1] = n;
    else runs.push([n, n]);
  }
  return runs;
}

/** Splits a comma-separated list, keeping commas inside brackets: `a,web[1-3,5],b` gives 3 items. */
export function splitTopLevel(text: string, sep = ","): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of text) {
    if (ch === "[") depth++;
    else if (ch === "]") depth = Math.max(0, depth - 1);
    if (ch === sep && depth === 0) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter((s) => s !== "");
}
