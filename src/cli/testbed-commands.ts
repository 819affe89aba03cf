import type { Command } from "commander";
import { demoCommand } from "./demo-command.js";
import { shellCommand } from "./shell/command.js";
import { testbedCommand } from "./testbed-command.js";

/**
 * Registers `shoal testbed`, `shoal demo` and `shoal shell`. Their definitions are light: each
 * action imports what it runs (the testbed, the demo, the shell) only when it is chosen, so that
 * `shoal run` and the other fleet commands do not pay for loading them.
 */
export function registerTestbedCommands(program: Command): void {
  program.addCommand(testbedCommand());
  program.addCommand(demoCommand());
  program.addCommand(shellCommand());
}
