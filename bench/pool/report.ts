/** Printing helpers of the pool benchmarks. */

/** Best (largest) of `runs` measurements of `fn`, which returns a rate. */
export async function best(runs: number, fn: () => Promise<number>): Promise<number> {
  let top = 0;
  for (let i = 0; i < runs; i++) top = Math.max(top, await fn());
  return top;
}

/** Best (smallest) of `runs` measurements of `fn`, which returns a duration. */
export async function least(runs: number, fn: () => Promise<number>): Promise<number> {
  let low = Infinity;
  for (let i = 0; i < runs; i++) low = Math.min(low, await fn());
  return low;
}

/** `12.3k/s`, `4.56M/s`. */
export function perSecond(rate: number): string {
  if (rate >= 1e6) return `${(rate / 1e6).toFixed(2)}M/s`;
  if (rate >= 1e3) return `${(rate / 1e3).toFixed(1)}k/s`;
  return `${rate.toFixed(0)}/s`;
}

export function ratio(value: number): string {
  return `${value.toFixed(2)}x`;
}
