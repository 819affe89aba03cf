/**
 * The `shoal` command's entry: bundled into dist/shoal-cli.cjs (run by launcher.ts), or run as is
 * (`node dist/src/cli/bin.js`). The only one: main.ts is a module, which runs nothing when imported.
 */
import { runCommandLine } from "./main.js";

runCommandLine();
