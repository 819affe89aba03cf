import type { Command } from "commander";

/**
 * Registers `shoal testbed`, `shoal demo` and `shoal shell` on the program.
 * (Filled in by the testbed/shell work; the fleet commands live beside it.)
 */
export function registerTestbedCommands(_program: Command): void {}
