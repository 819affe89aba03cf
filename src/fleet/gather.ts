/**
 * Gathering (`-b`): hosts with identical output are shown once, under a compact host range,
 * as ClusterShell's `clush -b` does with its MsgTree.
 */
import { describeHosts } from "./host-range.js";

export interface GatheredGroup {
  hosts: string[];
  output: string;
  /** What identifies the output (its digest, or the text itself). */
  key: string;
}

export class Gatherer {
  readonly #groups = new Map<string, GatheredGroup>();

  /** Adds one host's whole output. `key` (a digest) identifies it when given; the text otherwise. */
  add(host: string, output: string, key: string = output): void {
    let g = this.#groups.get(key);
    if (!g) this.#groups.set(key, (g = { hosts: [], output, key }));
    g.hosts.push(host);
  }

  /** The groups, largest first, then by their first host (so that the output is stable). */
  groups(): GatheredGroup[] {
    const first = (g: GatheredGroup) => g.hosts.reduce((m, h) => (h.localeCompare(m, "en", { numeric: true }) < 0 ? h : m));
    return [...this.#groups.values()].sort((a, b) => b.hosts.length - a.hosts.length || first(a).localeCompare(first(b), "en", { numeric: true }));
  }

  /** Header lines only (`web[01-05,07] (6)`), for the live view. */
  headers(): string[] {
    return this.groups().map((g) => describeHosts(g.hosts));
  }

  /** The final gathered text. */
  format(options: { color?: boolean } = {}): string {
    return this.groups()
      .map((g) => this.formatGroup(g, options))
      .join("");
  }

  /** One group: its host range between rules, then its output. */
  formatGroup(g: GatheredGroup, options: { color?: boolean } = {}): string {
    const rule = "-".repeat(15);
    const head = describeHosts(g.hosts);
    const body = g.output.endsWith("\n") || g.output === "" ? g.output : g.output + "\n";
    return `${rule}\n${options.color ? `\x1b[1;36m${head}\x1b[0m` : head}\n${rule}\n${body}`;
  }
}
