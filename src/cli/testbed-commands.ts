import type { Command } from "commander";
import { demoCommand } from "./demo.js";
import { shellCommand } from "./shell/command.js";
import { testbedCommand } from "./testbed-command.js";

/** Registers `shoal testbed`, `shoal demo` and `shoal shell` on the program. */
export function registerTestbedCommands(program: Command): void {
  program.addCommand(testbedCommand());
  program.addCommand(demoCommand());
  program.addCommand(shellCommand());
}
