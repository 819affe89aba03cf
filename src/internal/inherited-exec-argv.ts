/**
 * The Node flags a child process starts with: this process's, less those that describe how this
 * program was invoked rather than how Node should run (worker threads inherit this process's flags
 * as Node passes them: `start-worker.ts`):
 *
 * - `-e`/`--eval`, `-p`/`--print` and their code: a child given them runs that code instead of its
 *   entry (`node -e` starting a Process would start itself again, and again);
 * - `--input-type`: an entry that is a file refuses to load under it;
 * - the debugger's (every child would fight for the same inspector port), the test runner's and
 *   the watcher's.
 *
 * And one is added: under `--preserve-symlinks` (or NODE_PRESERVE_SYMLINKS=1), this process may
 * have loaded shoal through a symlink (`npm link`, pnpm), and its children must load it by the
 * same path, or a child would hold two copies of shoal: its entry (a file of shoal's, run as the
 * main module) by the real path, the target's `import "shoal/…"` by the link.
 * `--preserve-symlinks-main` keeps the entry's path as given.
 */

/** Flags dropped, and whether each takes the next argument as its value (when not given with `=`). */
const DROPPED = /^(?:-e|-p|-pe|--eval|--print|--input-type|--(?:inspect|debug|test|watch|experimental-test)[\w-]*)(?:=|$)/;

const TAKES_VALUE = new Set([
  "-e", "-p", "-pe", "--eval", "--print", "--input-type",
  "--inspect-port", "--debug-port", "--test-name-pattern", "--test-skip-pattern", "--test-reporter",
  "--test-reporter-destination", "--test-concurrency", "--test-timeout", "--test-shard", "--watch-path",
]);

export function inheritedExecArgv(): string[] {
  const kept: string[] = [];
  const args = process.execArgv;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!DROPPED.test(arg)) kept.push(arg);
    else if (!arg.includes("=") && TAKES_VALUE.has(arg) && i + 1 < args.length) i++; // its value is the next argument
  }
  const preserving = kept.includes("--preserve-symlinks") || process.env.NODE_PRESERVE_SYMLINKS === "1";
  if (preserving && !kept.includes("--preserve-symlinks-main")) kept.push("--preserve-symlinks-main");
  return kept;
}
