/**
 * The modules a child will need to rebuild the shoal objects in its arguments. While `start()`
 * encodes them, each process-shared kind notes its module here; a cold child is forked with the
 * list, and imports those modules while Node still waits for the start message.
 */
let noting: Set<string> | undefined;

/** Notes that what is being encoded needs `module` on the other side. */
export function noteModule(module: string): void {
  noting?.add(module);
}

/** Runs `encode`, returning its result and the modules noted meanwhile. */
export function collectingModules<T>(encode: () => T): { value: T; modules: string[] } {
  const previous = noting;
  const modules = new Set<string>();
  noting = modules;
  try {
    return { value: encode(), modules: [...modules] };
  } finally {
    noting = previous;
  }
}
