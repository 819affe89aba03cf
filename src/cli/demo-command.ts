/** `shoal demo`: the command line of the demo (what `npm start` runs); the demo itself is loaded when it runs. */
import { Command } from "commander";

interface DemoFlags {
  hosts: number;
  color?: boolean;
}

/** The `shoal demo` command. */
export function demoCommand(): Command {
  return new Command("demo")
    .description("start a testbed of SSH hosts on loopback and show shoal at work on it (what `npm start` runs)")
    .helpOption("--help", "show help for this command")
    .option("-n, --hosts <n>", "hosts in the testbed (at least 8)", (v) => Math.max(8, Number.parseInt(v, 10) || 30), 30)
    .option("--no-color", "no colours, even on a terminal")
    .action(async (flags: DemoFlags) => {
      const { runDemo } = await import("./demo.js");
      await runDemo({ hosts: flags.hosts, color: flags.color !== false && Boolean(process.stdout.isTTY) && !process.env["NO_COLOR"] });
    });
}

