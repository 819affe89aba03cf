/**
 * `shoal testbed`: starts an embedded SSH fleet on loopback and prints (or writes) its inventory,
 * then runs until Ctrl-C.
 */
import { constants } from "node:fs";
import { access, mkdir, stat, writeFile } from "node:fs/promises";
import { Command } from "commander";
import { expandHostRange, splitTopLevel } from "../fleet/host-range.js";
import type { HostFaults, RandomFaults, Testbed, TestbedOptions } from "../testbed/index.js";
import { UsageError, outcome } from "./fleet-commands.js";
import { STOP_SIGNALS } from "./stop-signals.js";
import { shellWord } from "../internal/shell-quote.js";

interface TestbedFlags {
  hosts: number;
  groups?: string;
  inventory?: string;
  address?: string;
  port?: number;
  user?: string;
  perHostCredentials?: boolean;
  refuse?: string;
  hang?: string;
  authFail?: string;
  drop?: string;
  dropAfter?: number;
  latency?: string;
  slow?: string;
  seed?: number;
  dir?: string;
}

/** The `shoal testbed` command. */
export function testbedCommand(): Command {
  return new Command("testbed")
    .description("start N real SSH hosts on loopback addresses in this process, print their inventory, run until Ctrl-C")
    .helpOption("--help", "show help for this command")
    .option("-n, --hosts <n>", "number of hosts (split into groups web, db, cache)", wholeNumber("hosts", 1), 8)
    .option("-g, --groups <spec>", "hosts per group instead: web=20,db=6,cache=4")
    .option("-i, --inventory <file>", "write the inventory to FILE instead of printing it")
    .option("--address <ip>", "first loopback address (default 127.0.10.1)")
    .option("-p, --port <port>", "port every host listens on (default: a free one)", wholeNumber("port", 1))
    .option("-u, --user <user>", "login user (default shoal)")
    .option("--per-host-credentials", "give every host its own user, key and password")
    .option("--refuse <hosts>", "hosts with nothing listening: names, ranges (web[01-03]), or a count picked at random")
    .option("--hang <hosts>", "hosts that accept and never send a banner")
    .option("--auth-fail <hosts>", "hosts that reject every login")
    .option("--drop <hosts>", "hosts that cut the connection mid-command")
    .option("--drop-after <ms>", "milliseconds into a command before a dropping host cuts it (default 100)", wholeNumber("drop-after", 0))
    .option("--latency <ms[@hosts]>", "added latency per round trip, on every host or on the hosts after @")
    .option("--slow <mbps[@hosts]>", "bandwidth cap in MB/s, on every host or on the hosts after @")
    .option("--seed <n>", "seed for hosts picked at random (same seed, same hosts)", wholeNumber("seed", 0))
    .option("--dir <dir>", "keep keys, known_hosts and host folders in DIR (default: a temporary folder, removed at exit)")
    .addHelpText(
      "after",
      "\nExamples:\n  shoal testbed --hosts 30 --inventory testbed.yml --hang 2 --drop db02\n  shoal run -i testbed.yml @web -- hostname",
    )
    .action(async (flags: TestbedFlags) => {
      // Imported here, not at the top: every `shoal` command line would otherwise load the testbed.
      const { startTestbed } = await import("../testbed/index.js");
      const options = testbedOptions(flags);
      if (flags.dir !== undefined) await usableDir(flags.dir);
      // Listening from before the start: a signal while the hosts start, or right after "ready",
      // still stops them and removes the folder (it holds the client's private key).
      const stopSignal = untilStopSignal();
      // A reader gone (`| head`, a closed terminal) must not end the process before that either:
      // the testbed serves on until a signal, its notes going nowhere.
      const exitOnBrokenPipe = outcome.brokenPipe;
      outcome.brokenPipe = () => {};
      try {
        const testbed = await startTestbed(options).catch((error: unknown) => {
          // A host name that does not exist, a group name or address that cannot be: the user's to fix.
          throw error instanceof RangeError || error instanceof TypeError ? new UsageError(error.message) : error;
        });
        try {
          // A long-lived testbed readies its warm shells at once, so the first commands fork nothing.
          void testbed.warm();
          await announce(testbed, flags.inventory);
          await stopSignal.received;
          process.stderr.write("shoal testbed: stopping\n");
        } finally {
          await testbed.stop();
        }
      } finally {
        stopSignal.dispose();
        outcome.brokenPipe = exitOnBrokenPipe;
      }
    });
}

/** Translates the flags into `startTestbed` options; every mistake is a UsageError naming the flag. */
export function testbedOptions(flags: TestbedFlags): TestbedOptions {
  const options: TestbedOptions = { hosts: flags.hosts };
  if (flags.groups !== undefined) options.groups = parseGroups(flags.groups);
  if (flags.address !== undefined) options.address = flags.address;
  if (flags.port !== undefined) options.port = flags.port;
  if (flags.user !== undefined) options.user = flags.user;
  if (flags.perHostCredentials) options.credentials = "per-host";
  if (flags.dir !== undefined) options.dir = flags.dir;
  const faults: Record<string, HostFaults> = {};
  const random: RandomFaults = {};
  if (flags.seed !== undefined) random.seed = flags.seed;
  const named = (flag: string, spec: string | undefined, set: (f: HostFaults) => void, randomKey: keyof Omit<RandomFaults, "seed">) => {
    if (spec === undefined) return;
    if (/^\d+$/.test(spec)) {
      random[randomKey] = Number(spec);
      return;
    }
    for (const name of hostList(flag, spec)) set((faults[name] ??= {}));
  };
  named("--refuse", flags.refuse, (f) => (f.refuse = true), "refuse");
  named("--hang", flags.hang, (f) => (f.hang = true), "hang");
  named("--auth-fail", flags.authFail, (f) => (f.authFail = true), "authFail");
  named("--drop", flags.drop, (f) => (f.drop = true), "drop");
  if (flags.dropAfter !== undefined) {
    for (const f of Object.values(faults)) if (f.drop) f.dropAfter = flags.dropAfter;
  }
  const shaped = (flag: string, spec: string | undefined, apply: (value: number, hosts: string[] | undefined) => void) => {
    if (spec === undefined) return;
    const [value, hosts] = spec.split("@", 2) as [string, string | undefined];
    const n = Number(value);
    if (value === "" || !Number.isFinite(n) || n <= 0) throw new UsageError(`Invalid ${flag}: expected a positive number, got ${JSON.stringify(value)}`);
    apply(n, hosts === undefined ? undefined : hostList(flag, hosts));
  };
  shaped("--latency", flags.latency, (ms, hosts) => {
    if (hosts === undefined) options.latency = ms;
    else for (const name of hosts) (faults[name] ??= {}).latency = ms;
  });
  shaped("--slow", flags.slow, (mbps, hosts) => {
    if (hosts === undefined) options.slow = mbps;
    else for (const name of hosts) (faults[name] ??= {}).slow = mbps;
  });
  if (flags.dropAfter !== undefined && Object.values(faults).every((f) => !f.drop) && random.drop === undefined) {
    throw new UsageError("Invalid --drop-after: no host drops (add --drop HOSTS)");
  }
  options.faults = faults;
  options.random = random;
  return options;
}

async function announce(testbed: Testbed, inventoryFile: string | undefined): Promise<void> {
  const faulty = testbed.hosts.filter((h) => Object.keys(h.faults).length > 0);
  const first = testbed.hosts[0]!;
  const last = testbed.hosts[testbed.hosts.length - 1]!;
  const lines = [
    `shoal testbed: ${testbed.hosts.length} SSH hosts listening on ${first.address} … ${last.address}, port ${testbed.port}`,
    ...faulty.map((h) => `  ${h.name} (${h.address}): ${describe(h.faults)}`),
    ...passwordLines(testbed.env()),
    `  files: ${testbed.dir}`,
  ];
  if (inventoryFile !== undefined) {
    await writeFile(inventoryFile, testbed.inventory());
    lines.push(`  inventory written to ${inventoryFile}; try: shoal run -i ${shellWord(inventoryFile)} @web -- hostname`);
  } else {
    process.stdout.write(testbed.inventory());
    lines.push(`  inventory printed above (also in ${testbed.inventoryFile})`);
  }
  lines.push("  ready; Ctrl-C stops it");
  process.stderr.write(lines.join("\n") + "\n");
}

/** The exports password logins need: the one shared variable, or one per host (as the inventory names them). */
function passwordLines(env: Record<string, string>): string[] {
  const exports = Object.entries(env).map(([name, value]) => `export ${name}=${shellWord(value)}`);
  return exports.length === 1 ? [`  password logins: ${exports[0]}`] : ["  password logins:", ...exports.map((line) => `    ${line}`)];
}

function describe(faults: HostFaults): string {
  const out: string[] = [];
  if (faults.refuse) out.push("refuses connections");
  if (faults.hang) out.push("hangs before the banner");
  if (faults.authFail) out.push("rejects logins");
  if (faults.drop) out.push(`drops the connection ${faults.dropAfter ?? 100} ms into commands`);
  if (faults.latency) out.push(`+${faults.latency} ms latency`);
  if (faults.slow) out.push(`${faults.slow} MB/s`);
  return out.join(", ");
}

/** Ctrl-C, a kill, or the terminal hanging up: each stops the testbed (and removes its folder). */
function untilStopSignal(): { received: Promise<void>; dispose(): void } {
  let done = () => {};
  const received = new Promise<void>((resolve) => (done = resolve));
  const dispose = () => {
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  };
  // Kept until the testbed has stopped: a second signal must not cut its cleanup short.
  const onSignal = () => done();
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  return { received, dispose };
}

/** Makes the --dir folder if it is missing; one that cannot be used is the user's to fix. */
async function usableDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error("not a folder"), { code: "ENOTDIR" });
    await access(dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    const reason =
      code === "EEXIST" || code === "ENOTDIR"
        ? "it, or a folder above it, is not a folder"
        : code === "EACCES" || code === "EPERM" || code === "EROFS"
          ? "cannot write there"
          : message;
    throw new UsageError(`Invalid --dir ${JSON.stringify(dir)}: ${reason}`);
  }
}

function parseGroups(spec: string): Record<string, number> {
  const groups: Record<string, number> = {};
  for (const part of spec.split(",")) {
    const match = /^([A-Za-z][A-Za-z0-9_-]*)=(\d+)$/.exec(part.trim());
    if (!match) throw new UsageError(`Invalid --groups: expected NAME=COUNT,..., got ${JSON.stringify(part)}`);
    groups[match[1]!] = Number(match[2]);
  }
  return groups;
}

function hostList(flag: string, spec: string): string[] {
  try {
    return splitTopLevel(spec).flatMap((part) => expandHostRange(part.trim()));
  } catch (error) {
    throw new UsageError(`Invalid ${flag}: ${(error as Error).message}`);
  }
}

function wholeNumber(what: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`Invalid --${what}: expected a whole number of at least ${min}, got ${JSON.stringify(value)}`);
    return n;
  };
}
