/**
 * Durations as the command line takes them: `500ms`, `10s`, `2m`, `1h`, `1m30s`.
 * A bare number is seconds, as in ssh's ConnectTimeout and pssh's -t.
 */
import { TIMEOUT_MAX } from "../internal/options.js";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration into milliseconds.
 * @throws RangeError naming the text and what was expected.
 */
export function parseDuration(text: string, what = "duration"): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return withinLimit(Number(trimmed) * 1000, text, what);
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = part.exec(trimmed); m !== null; m = part.exec(trimmed)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    matched = part.lastIndex;
  }
  if (trimmed === "" || matched !== trimmed.length) {
    throw new RangeError(
      `Cannot parse ${what} ${JSON.stringify(text)}: expected a number of seconds or a number with a unit (500ms, 10s, 2m, 1h)`,
    );
  }
  return withinLimit(total, text, what);
}

/**
 * Whole milliseconds. Node's timers end at once past TIMEOUT_MAX (2^31-1 ms, about 24.8 days), and
 * a duration under a millisecond would round to 0 (which means "none" where 0 is allowed): both
 * are refused.
 */
function withinLimit(exact: number, text: string, what: string): number {
  const ms = Math.round(exact);
  if (ms > TIMEOUT_MAX) throw new RangeError(`Cannot use ${what} ${JSON.stringify(text)}: at most 24 days (596h)`);
  if (exact > 0 && ms === 0) throw new RangeError(`Cannot use ${what} ${JSON.stringify(text)}: less than a millisecond (at least 1ms)`);
  return ms;
}

/** Formats milliseconds the way parseDuration reads them back: `850ms`, `12s`, `2m30s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) {
    const s = ms / 1000;
    return `${Number.isInteger(s) ? s : s.toFixed(ms < 10_000 ? 2 : 1)}s`;
  }
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s === 0 ? `${m}m` : `${m}m${s}s`;
}
