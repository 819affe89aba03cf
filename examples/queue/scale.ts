/**
 * The lesson's examples sleep for seconds. `SHOAL_EXAMPLE_SCALE=0.01 node dist/examples/queue/x.js`
 * runs them 100 times faster (the tests do); unset, they keep the lesson's timing.
 */
export const SCALE = Number(process.env.SHOAL_EXAMPLE_SCALE ?? 1);

/** `seconds` of the lesson, in milliseconds, scaled. */
export function seconds(seconds: number): number {
  return seconds * 1000 * SCALE;
}
