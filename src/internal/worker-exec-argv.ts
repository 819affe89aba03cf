/**
 * The Node flags a worker thread starts with: this process's, less `--input-type`. A program run
 * as `node --input-type=module -e '...'` would otherwise pass that flag on, and a worker, whose
 * entry is a file, refuses to load at all (ERR_INPUT_TYPE_NOT_ALLOWED).
 */
export function workerExecArgv(): string[] {
  const flags: string[] = [];
  const inherited = process.execArgv;
  for (let i = 0; i < inherited.length; i++) {
    const flag = inherited[i]!;
    if (flag === "--input-type") i += 1; // and its value
    else if (!flag.startsWith("--input-type=")) flags.push(flag);
  }
  return flags;
}
