/**
 * `shoal demo` (what `npm start` runs): a testbed of a few dozen SSH hosts, two of them faulty,
 * and a tour of what shoal does on them — a command across groups with live output, outputs
 * gathered, a file copied to every host with the progress bar, the summaries — then everything
 * stops. Nothing to install beyond Node; nothing leaves this machine (all on 127.0.0.0/8).
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Fleet } from "../fleet/fleet.js";
import type { FleetOptions } from "../fleet/fleet.js";
import { Inventory } from "../fleet/inventory.js";
import type { Host } from "../fleet/host.js";
import { describeHosts } from "../fleet/host-range.js";
import { startTestbed } from "../testbed/index.js";
import type { Testbed } from "../testbed/index.js";
import { drive, type ViewOptions } from "./shell/drive.js";
import { widest } from "./width.js";

/** Runs the demo, writing to stdout and stderr. */
export async function runDemo(options: { hosts: number; color: boolean }): Promise<void> {
  const { color } = options;
  const web = Math.ceil(options.hosts / 2);
  const db = Math.ceil((options.hosts - web) / 2);
  const groups = { web, db, cache: options.hosts - web - db };
  const hang = `cache${String(groups.cache).padStart(2, "0")}`;
  const dropping = "db02";
  const say = (text: string) => process.stdout.write(text);
  const bold = (text: string) => (color ? `\x1b[1m${text}\x1b[0m` : text);
  const command = (text: string) => say(`\n${bold(`$ ${text}`)}\n`);

  const started = performance.now();
  const testbed = await startTestbed({
    groups,
    // db02 cuts every connection as soon as a command (or a copy) starts: it can never answer, so the
    // tour's output is the same on every run, and the put shows a host lost mid-transfer ending cleanly.
    faults: { [hang]: { hang: true }, [dropping]: { drop: true, dropAfter: 1 } },
    // A little latency and bandwidth, as on a real network, so the progress bar has something to show.
    latency: 2,
    slow: 8,
  });
  // The hosts live in this process: let them ready their warm shells before the first handshakes.
  await testbed.warm();
  const local = await mkdtemp(join(tmpdir(), "shoal-demo-"));
  let fleet: Fleet | undefined;
  try {
    const inventory = await Inventory.load(testbed.inventoryFile);
    say(
      bold(`shoal demo: ${testbed.hosts.length} SSH hosts started in ${Math.round(performance.now() - started)} ms`) +
        ` on ${testbed.hosts[0]!.address} … ${testbed.hosts[testbed.hosts.length - 1]!.address}, port ${testbed.port}\n` +
        `  groups: ${inventory.groups.map((g) => `@${g.name} (${inventory.members(g.name)!.length})`).join(", ")}\n` +
        `  two are faulty: ${hang} never answers (no SSH banner), ${dropping} drops the connection mid-command\n` +
        `  inventory: ${testbed.inventoryFile}\n`,
    );
    // The inventory names the password by its variable, as a real one would; the key logs in first.
    process.env[testbed.passwordEnv] = testbed.password;
    const all = inventory.select("*");
    const fleetOptions: FleetOptions = {
      forks: 64,
      connectTimeout: 2000,
      keepConnections: true,
      agent: false,
      sshConfig: false,
    };
    fleet = new Fleet(all, fleetOptions);
    const view = (mode: ViewOptions["mode"], hosts: readonly Host[]): ViewOptions => ({
      color,
      tty: Boolean(process.stdout.isTTY),
      hostWidth: widest(hosts),
      total: hosts.length,
      mode,
      statusLines: false,
    });

    const greeting = `echo "hello from $(hostname), in $(pwd | sed 's|.*/hosts/|…/|')"`;
    command(`shoal run '@web,@db,@cache' -- '${greeting}'`);
    await drive(fleet.run(greeting), view({ kind: "live" }, all));

    const facts = "uname -s; id -un; echo $SHELL";
    command(`shoal run -b '*' -- '${facts}'`);
    await drive(fleet.run(facts), view({ kind: "gather" }, all));

    const file = join(local, "release.tar");
    const size = 2 * 1024 * 1024;
    await writeFile(file, randomBytes(size));
    command(`shoal put '*' release.tar release.tar      # ${size / 1024 / 1024} MiB to every host, atomically`);
    const put = await drive(fleet.put(file, "release.tar"), view({ kind: "put", totalBytes: size * all.length }, all));

    const copied = all.filter((h) => put.results.find((r) => r.host === h.name)?.state === "ok");
    const check = "sha256sum release.tar | cut -c1-16";
    command(`shoal run -b @last.ok -- '${check}'      # the ${copied.length} hosts that got it: one checksum`);
    await drive(fleet.run(check, { hosts: copied }), view({ kind: "gather" }, copied));

    const failed = all.filter((h) => !copied.includes(h)).map((h) => h.name);
    say(
      `\n${bold("That was shoal.")} ${testbed.hosts.length} hosts, 4 runs, ${((performance.now() - started) / 1000).toFixed(1)} s in all; ` +
        `the faulty ${describeHosts(failed)} ended as timeout and unreachable, and never held the others up.\n` +
        "Try it on your own: shoal testbed --hosts 50 --inventory testbed.yml, then shoal shell -i testbed.yml\n",
    );
  } finally {
    await fleet?.close();
    await stopAll(testbed, local);
  }
}

async function stopAll(testbed: Testbed, local: string): Promise<void> {
  await testbed.stop();
  await rm(local, { recursive: true, force: true });
}
