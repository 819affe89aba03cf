/** The entry of the bundled command (dist/shoal-cli.cjs, run by launcher.ts). */
import { runCommandLine } from "./main.js";

runCommandLine();
