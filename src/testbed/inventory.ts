/**
 * The inventory a testbed writes for its clients, in shoal's YAML format (see docs/fleet.md):
 * every host under its group with its loopback address as `hostname`, and the credentials.
 */
import type { TestbedHost } from "./testbed-host.js";
import { describeFaults } from "./faults.js";

/** What the inventory needs besides the hosts. */
export interface InventoryContext {
  readonly port: number;
  readonly user: string;
  readonly identityFile: string;
  readonly knownHostsFile: string;
  readonly passwordEnv: string;
  /** Whether each host has its own user, key and password (then they go on the host's entry). */
  readonly perHost: boolean;
}

/** The YAML text of the inventory. */
export function inventoryYaml(hosts: readonly TestbedHost[], context: InventoryContext): string {
  const lines: string[] = [];
  const first = hosts[0]?.address ?? "";
  const last = hosts[hosts.length - 1]?.address ?? "";
  lines.push(`# shoal testbed: ${hosts.length} SSH hosts on ${first}${hosts.length > 1 ? ` … ${last}` : ""}, port ${context.port}`);
  lines.push(
    context.perHost
      ? "# Each host has its own user, key and password (the password in the environment variable named by password_env)."
      : `# Log in with identity_file, or with the password in $${context.passwordEnv}.`,
  );
  lines.push("defaults:");
  lines.push(`  port: ${context.port}`);
  if (!context.perHost) {
    lines.push(`  user: ${scalar(context.user)}`);
    lines.push(`  identity_file: ${scalar(context.identityFile)}`);
    lines.push(`  password_env: ${scalar(context.passwordEnv)}`);
  }
  lines.push(`  known_hosts: ${scalar(context.knownHostsFile)}`);
  lines.push("groups:");
  const groups = new Map<string, TestbedHost[]>();
  for (const host of hosts) {
    const members = groups.get(host.group) ?? [];
    members.push(host);
    groups.set(host.group, members);
  }
  for (const [group, members] of groups) {
    lines.push(`  ${group}:`);
    lines.push("    hosts:");
    for (const host of members) {
      const fields = [`host: ${host.name}`, `hostname: ${host.address}`];
      if (context.perHost) {
        fields.push(`user: ${scalar(host.user)}`, `identity_file: ${scalar(host.identityFile)}`, `password_env: ${scalar(host.passwordEnv)}`);
      }
      const faults = describeFaults(host.faults);
      if (faults.length > 0) fields.push(`testbed_fault: ${scalar(faults.join(", "))}`);
      lines.push(`      - { ${fields.join(", ")} }`);
    }
  }
  const others = [...groups.keys()].filter((g) => g !== "web");
  if (groups.size > 1 && others.length > 1 && !groups.has("backend")) {
    lines.push("  backend:");
    lines.push(`    children: [${others.join(", ")}]`);
  }
  return lines.join("\n") + "\n";
}

/** A YAML scalar: plain when that is unambiguous, else a JSON string (valid YAML). */
function scalar(text: string): string {
  return /^[A-Za-z0-9_./][A-Za-z0-9_./@ -]*$/.test(text) && !/\s$/.test(text) ? text : JSON.stringify(text);
}
