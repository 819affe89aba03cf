/**
 * The `shoal` command. Fleet commands (run, put, get, ping, hosts, groups) live in
 * fleet-commands.ts; testbed, demo and shell in testbed-commands.ts.
 */
import { Command, CommanderError } from "commander";
import { EXIT_USAGE, UsageError, outcome, registerFleetCommands, splitCommandWords } from "./fleet-commands.js";
import { registerTestbedCommands } from "./testbed-commands.js";
import { restoreLauncherEnv } from "./launcher-env.js";

export function buildProgram(): Command {
  const program = new Command("shoal")
    .description("run commands and copy files on a fleet of hosts over SSH, in parallel, live")
    .version("0.1.0")
    .showHelpAfterError("(add --help for usage)")
    .exitOverride();
  registerFleetCommands(program);
  registerTestbedCommands(program);
  for (const c of program.commands) c.exitOverride();
  return program;
}

/** Runs the command line; resolves with the exit status. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  const program = buildProgram();
  outcome.status = 0;
  try {
    await program.parseAsync(splitCommandWords(argv), { from: "user" });
    return outcome.status;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") return 0;
      return EXIT_USAGE;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`shoal: ${err.message}\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`shoal: ${(err as Error).stack ?? String(err)}\n`);
    return 70;
  }
}

/** Runs the command line as the `shoal` command: its warnings, broken pipes, and exit status. */
export function runCommandLine(): void {
  restoreLauncherEnv();
  // Warnings are said as shoal says everything, without Node's "(node:PID) Warning:" dress.
  process.removeAllListeners("warning");
  process.on("warning", (warning: Error) => process.stderr.write(`shoal: ${warning.message}\n`));
  // `shoal run ... | head`: a reader that goes away is not an error worth a stack trace. The run
  // is cut short, so not a success either: 141, as a command killed by SIGPIPE (see outcome).
  // `2>&1 | head` closes stderr too, and a terminal that hangs up fails writes with EIO.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE" || err.code === "ERR_STREAM_DESTROYED" || err.code === "EIO") return outcome.brokenPipe();
      throw err;
    });
  }
  main().then(
    (status) => {
      process.exitCode = status;
    },
    (err: unknown) => {
      process.stderr.write(`shoal: ${String(err)}\n`);
      process.exitCode = 70;
    },
  );
}
