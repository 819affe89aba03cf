/** `shoal shell`: the command line of the interactive shell. */
import { Command } from "commander";
import { Inventory } from "../../fleet/inventory.js";
import { InventoryError } from "../../fleet/inventory-error.js";
import type { FleetOptions } from "../../fleet/fleet.js";
import { askSecret, once } from "../prompt.js";
import { DEFAULT_FORKS } from "../../fleet/limits.js";
import { UsageError, commandTimeout, connectTimeout, fitForks, outcome, positiveInt } from "../fleet-commands.js";
import { capYoungGeneration } from "../memory.js";

interface ShellFlags {
  inventory?: string;
  forks?: number;
  user?: string;
  connectTimeout?: number;
  timeout?: number;
  acceptNew?: boolean;
  knownHosts?: string;
  strictHostKeys?: boolean;
  askPass?: boolean;
  color?: boolean;
}

export function shellCommand(): Command {
  return new Command("shell")
    .description("interactive shell: select hosts with `use @group`, then every line runs on them")
    .helpOption("--help", "show help for this command")
    .argument("[pattern]", "hosts to select at start (as `use PATTERN`)")
    .option("-i, --inventory <file>", "inventory file (default ./shoal.yml, then ~/.config/shoal/inventory.yml)")
    .option("-f, --forks <n>", `hosts at a time (default ${DEFAULT_FORKS})`, positiveInt("forks"))
    .option("-u, --user <user>", "login user for hosts that name none")
    .option("--connect-timeout <duration>", "per host (500ms, 10s; bare number = seconds)", connectTimeout)
    .option("-t, --timeout <duration>", "per-host command timeout (also :timeout; 0: none)", commandTimeout)
    .option("--accept-new", "trust unknown host keys on first use and save them (never changed keys)")
    .option("--known-hosts <file>", "known_hosts file (default ~/.ssh/known_hosts, or the host's known_hosts var)")
    .option("--no-strict-host-keys", "do not check host keys at all (throwaway test hosts only)")
    .option("-A, --ask-pass", "ask for a password once, used for every host that needs one")
    .option("--no-color", "no colours")
    .action(async (pattern: string | undefined, flags: ShellFlags) => {
      let inventory: Inventory;
      try {
        inventory = flags.inventory ? await Inventory.load(flags.inventory) : await Inventory.loadDefault();
      } catch (error) {
        if (error instanceof InventoryError) throw new UsageError(error.message);
        throw error;
      }
      capYoungGeneration();
      const ask = once(askSecret);
      // As for `run`: the inventory's forks when -f is not given, fitted under the open-file limit
      // (a connection per running host, and a spill file with :gather).
      const forks = fitForks(flags.forks ?? inventory.defaults.forks ?? DEFAULT_FORKS, 2);
      const fleetOptions: FleetOptions = {
        forks,
        user: flags.user,
        connectTimeout: flags.connectTimeout,
        acceptNew: flags.acceptNew,
        knownHosts: flags.strictHostKeys === false ? false : flags.knownHosts,
        password: flags.askPass ? ask : undefined,
      };
      // Imported here, not at the top: only `shoal shell` needs the shell and its terminal handling.
      const { Shell } = await import("./shell.js");
      const shell = new Shell({
        inventory,
        fleetOptions,
        initialPattern: pattern,
        timeout: flags.timeout === Infinity ? undefined : flags.timeout,
        color: flags.color !== false && Boolean(process.stdout.isTTY) && !process.env["NO_COLOR"],
      });
      outcome.status = await shell.run();
    });
}
