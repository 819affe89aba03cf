/** The trivial task every pool benchmark runs (shoal imports it by name; piscina takes the default). */
export function square(x: number): number {
  return x * x;
}

export default square;
