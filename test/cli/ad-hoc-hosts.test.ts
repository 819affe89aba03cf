/**
 * Hosts as the command line takes them, without an sshd: -H and -h checked and placed, ranges
 * bounded, saved sets rerun where they ran, and what is said without an inventory.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runProcess } from "../fixtures/run-process.js";
import type { Ran } from "../fixtures/run-process.js";

const MAIN = fileURLToPath(new URL("../../shoal.mjs", import.meta.url));
const dir = await mkdtemp(join(tmpdir(), "shoal-ad-hoc-"));
test.after(() => rm(dir, { recursive: true, force: true }));

/** Runs shoal in `dir`, whose HOME has no inventory and no ~/.ssh/config. */
function shoal(args: string[], input = ""): Promise<Ran> {
  return runProcess(process.execPath, [MAIN, ...args], { input, cwd: dir, env: { ...process.env, HOME: dir, SHOAL_STATE_DIR: join(dir, "state"), NO_COLOR: "1" } });
}

const vars = (r: Ran) => (JSON.parse(r.stdout) as { name: string; vars: Record<string, unknown> }[]).map((h) => [h.name, h.vars]);

test("-h FILE errors name the file and line; -H and -h take only names an inventory could hold", async () => {
  const file = join(dir, "hosts.txt");
  await writeFile(file, "web1\n# a comment\nweb[1-\n");
  let r = await shoal(["hosts", "-h", file]);
  assert.equal(r.status, 64);
  assert.equal(r.stderr, `shoal: ${file}:3: Cannot parse host range "web[1-": "[" at offset 3 is not closed\n`);
  await writeFile(file, "web1\nweb1:0\n");
  r = await shoal(["hosts", "-h", file]);
  assert.equal(r.stderr, `shoal: ${file}:2: Invalid port: expected an integer from 1 to 65535, got "0", in host "web1:0"\n`);
  await writeFile(file, "ok1\nweb* alice\n");
  r = await shoal(["hosts", "-h", file]);
  assert.match(r.stderr, new RegExp(`^shoal: ${file}:2: Invalid host name "web\\*": "\\*" at offset 3 cannot be in a name`));
  const refused: [string, RegExp][] = [
    ["web*", /Invalid host name "web\*": "\*" at offset 3/],
    ["a b", /Invalid host name "a b": " " at offset 1/],
    ["user@", /Invalid host "user@": no host name after "@"/],
    ["ü1", /Invalid host name "ü1": "ü" at offset 0/],
    ["web01:abc", /Invalid port: expected an integer from 1 to 65535, got "abc", in host "web01:abc"/],
  ];
  for (const [host, message] of refused) {
    r = await shoal(["hosts", "-H", host]);
    assert.equal(r.status, 64, host);
    assert.match(r.stderr, message);
  }
  // IPv6: bare without a port, in brackets with one.
  r = await shoal(["hosts", "--json", "-H", "::1"]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(vars(r), [["::1", {}]]);
  r = await shoal(["hosts", "--json", "-H", "me@[::1]:2222"]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(vars(r), [["::1", { user: "me", port: 2222 }]]);
  // One name twice with another port (or user) would be one host, the last: refused.
  for (const hosts of [["127.0.0.1:2200,127.0.0.1:2222"], ["::1", "me@[::1]:2222"]]) {
    r = await shoal(["hosts", ...hosts.flatMap((h) => ["-H", h])]);
    assert.equal(r.status, 64, hosts.join(" "));
    assert.match(r.stderr, /Host (127\.0\.0\.1|::1) is given twice, with another user or port/);
  }
  r = await shoal(["hosts", "--json", "-H", "127.0.0.1:2200,127.0.0.1:2200"]);
  assert.deepEqual(vars(r), [["127.0.0.1", { port: 2200 }]], "the same one twice is one host");
  r = await shoal(["hosts", "--json", "-H", "fe80::1"]);
  assert.deepEqual(vars(r), [["fe80::1", {}]]);
});

test("ranges past 2^53 or past the limit in total are refused at once", async () => {
  let r = await shoal(["hosts", "-H", "n[9007199254740992-9007199254740993]"]);
  assert.equal(r.status, 64);
  assert.match(r.stderr, /9007199254740992 at offset 2 is past 9007199254740991/);
  r = await shoal(["hosts", "-H", `a[${"1-999999,".repeat(6)}1]`]);
  assert.equal(r.status, 64);
  assert.match(r.stderr, /the names up to 1-999999 at offset 11 exceed the limit of 1000000/);
  const inventory = join(dir, "far.yml");
  await writeFile(inventory, 'hosts: ["n[9007199254740992-9007199254740993]"]\n');
  r = await shoal(["hosts", "-i", inventory]);
  assert.equal(r.status, 64);
  assert.match(r.stderr, new RegExp(`^shoal: ${inventory}:1:12: Cannot expand host range`));
});

test("@last.failed reruns ad hoc hosts with their user and port; names of another inventory are refused", async () => {
  const d = join(dir, "d.yml");
  const e = join(dir, "e.yml");
  await writeFile(d, "defaults: { user: deploy }\nhosts: [web01]\n");
  await writeFile(e, "hosts: [other]\n");
  // Port 1 on loopback refuses at once: the host fails, and says where it was tried.
  let r = await shoal(["run", "-i", d, "-H", "nobody@127.0.0.1:1", "--", "false"]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /connection refused by 127\.0\.0\.1:1/);
  r = await shoal(["hosts", "-i", d, "@last.failed", "--json"]);
  assert.deepEqual(vars(r), [["127.0.0.1", { user: "nobody", port: 1 }]]);
  r = await shoal(["run", "-i", d, "@last.failed", "--", "true"]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^127\.0\.0\.1: connection refused by 127\.0\.0\.1:1$/m);
  // Saved again from the rerun, the way it was reached is kept.
  r = await shoal(["hosts", "-i", e, "@last.failed", "--json"]);
  assert.deepEqual(vars(r), [["127.0.0.1", { user: "nobody", port: 1 }]]);
  // A set of d.yml's names, used with e.yml: refused by name, not turned into ad hoc hosts.
  await writeFile(join(dir, "state", "last.json"), JSON.stringify({ "last.failed": ["web01"] }));
  r = await shoal(["hosts", "-i", e, "@last.failed"]);
  assert.equal(r.status, 64);
  assert.equal(r.stderr, `shoal: Cannot select "@last.failed": web01 is not in the inventory ${e} (the run that saved it had other hosts)\n`);
  // The shell refuses it too, and keeps the hosts it had rather than failing every later command.
  r = await shoal(["shell", "-i", e, "other"], "use @last.failed\n:hosts\n");
  assert.match(r.stdout, /Cannot select "@last\.failed": web01 is not in the inventory/);
  assert.match(r.stdout, /1 host: other\n[^]*1 host: other\n/);
});

test("without an inventory, @group and groups say none was found, and where it was looked for", async () => {
  let r = await shoal(["hosts", "@web"]);
  assert.equal(r.status, 64);
  assert.equal(r.stderr, `shoal: Unknown group "@web": no inventory was loaded, so there are no groups (none at ${join(dir, "shoal.yml")} or ${join(dir, ".config", "shoal", "inventory.yml")}; give -i FILE)\n`);
  r = await shoal(["groups"]);
  assert.equal(r.status, 64);
  assert.match(r.stderr, /^shoal: No inventory, so no groups: none at .*shoal\.yml or .*inventory\.yml; give -i FILE\n$/);
  const flat = join(dir, "flat.yml");
  await writeFile(flat, "hosts: [a]\n");
  r = await shoal(["groups", "-i", flat]);
  assert.equal(r.status, 0);
  assert.equal(r.stderr, `shoal: ${flat} has no groups\n`);
});

test("a selection of 140,000 hosts is measured for its columns without overflowing the stack", async () => {
  const huge = join(dir, "huge.yml");
  await writeFile(huge, 'hosts: ["h[000001-140000]"]\n');
  // put stops at its missing LOCAL, after the columns are measured and before anything connects.
  const r = await shoal(["put", "-i", huge, "all", join(dir, "missing"), "/tmp/x"]);
  assert.equal(r.status, 64, r.stderr);
  assert.match(r.stderr, /^shoal: Cannot put .*missing: /);
});
