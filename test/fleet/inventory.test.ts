import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Inventory } from "../../src/fleet/inventory.js";
import { InventoryError } from "../../src/fleet/inventory-error.js";

const EXAMPLE = `defaults:              # vars for every host
  user: deploy
groups:
  web:
    hosts: ["web[01-20].example.com"]
    vars: { port: 2222 }
  db:
    hosts:
      - db1.example.com
      - { host: db2.example.com, user: admin, password_env: DB2_PASS }
  prod:
    children: [web, db]
`;

test("the issue's example inventory loads: ranges, groups, children, per-host credentials", () => {
  const inv = Inventory.parse(EXAMPLE, "shoal.yml");
  assert.equal(inv.hosts.length, 22);
  assert.deepEqual(inv.members("web")!.map((h) => h.name).slice(0, 2), ["web01.example.com", "web02.example.com"]);
  assert.equal(inv.members("prod")!.length, 22);
  const web05 = inv.get("web05.example.com")!;
  assert.deepEqual(web05.vars, { user: "deploy", port: 2222 });
  assert.deepEqual([...web05.groups].sort(), ["prod", "web"]);
  assert.deepEqual(inv.get("db1.example.com")!.vars, { user: "deploy" });
  assert.deepEqual(inv.get("db2.example.com")!.vars, { user: "admin", password_env: "DB2_PASS" });
  assert.deepEqual(inv.groups.map((g) => g.name), ["web", "db", "prod"]);
});

test("a host's vars: defaults, then groups from the outermost in, then its own entry", () => {
  const inv = Inventory.parse(`
defaults: { user: d, port: 1, a: default }
groups:
  inner:
    hosts: [{ host: h1, port: 4 }, h2]
    vars: { user: inner, a: inner }
  middle:
    children: [inner]
    vars: { user: middle, b: middle, a: middle }
  outer:
    children: [middle]
    vars: { user: outer, c: outer, port: 3 }
`);
  assert.deepEqual(inv.get("h1")!.vars, { user: "inner", port: 4, a: "inner", b: "middle", c: "outer" });
  assert.deepEqual(inv.get("h2")!.vars, { user: "inner", port: 3, a: "inner", b: "middle", c: "outer" });
  assert.deepEqual(inv.get("h1")!.groups, ["outer", "middle", "inner"]);
});

test("known vars are checked; durations and free vars are kept", () => {
  const inv = Inventory.parse(`defaults: { connect_timeout: 2.5, forks: 10, identity_file: [a, b], rack: 7 }\nhosts: [x, { host: y, connect_timeout: 500ms }]\n`);
  assert.deepEqual(inv.get("x")!.vars, { connect_timeout: 2500, forks: 10, identity_file: ["a", "b"], rack: 7 });
  assert.equal(inv.get("y")!.vars.connect_timeout, 500);
});

function errorOf(text: string): InventoryError {
  try {
    Inventory.parse(text, "inv.yml");
  } catch (err) {
    assert.ok(err instanceof InventoryError, `expected InventoryError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected an InventoryError");
}

test("errors name the file, line and column, and what was expected", () => {
  let e = errorOf("groups:\n  web:\n    hosts: [a]\n    vars: { port: ssh }\n");
  assert.equal(e.file, "inv.yml");
  assert.deepEqual([e.line, e.column], [4, 19]);
  assert.match(e.message, /^inv\.yml:4:19: Invalid port: expected an integer from 1 to 65535, got "ssh"$/);

  e = errorOf("groups:\n  web:\n    hots: [a]\n");
  assert.deepEqual([e.line, e.column], [3, 5]);
  assert.match(e.message, /Unknown key "hots": expected one of hosts, vars, children/);

  e = errorOf("defaults: { user: a }\nservers: []\n");
  assert.deepEqual([e.line, e.column], [2, 1]);
  assert.match(e.message, /expected one of defaults, groups, hosts/);

  e = errorOf("groups:\n  prod:\n    children: [web, dbs]\n  web: { hosts: [a] }\n");
  assert.deepEqual([e.line, e.column], [3, 21]);
  assert.match(e.message, /Unknown child group "dbs" of group "prod": expected one of prod, web/);

  e = errorOf("groups:\n  web:\n    hosts: [\"web[01-\"]\n");
  assert.equal(e.line, 3);
  assert.match(e.message, /not closed/);

  e = errorOf("groups:\n  a: { children: [b] }\n  b: { children: [a] }\n");
  assert.match(e.message, /contains itself: (a -> b -> a|b -> a -> b)/);

  e = errorOf("groups:\n  web:\n    hosts:\n      - { user: x }\n");
  assert.deepEqual([e.line, e.column], [4, 9]);
  assert.match(e.message, /expected a `host:` key/);

  e = errorOf("groups:\n  web:\n    hosts: [a\n");
  assert.match(e.message, /^inv\.yml:\d+:\d+: Invalid YAML/);

  e = errorOf("groups: [web, db]\n");
  assert.deepEqual([e.line, e.column], [1, 9]);
  assert.match(e.message, /expected a mapping of group names to groups, got a list/);

  e = errorOf("defaults:\n  identity_file: 3\n");
  assert.match(e.message, /Invalid identity_file: expected a path or a list of paths, got number 3/);

  e = errorOf("defaults:\n  connect_timeout: soon\n");
  assert.match(e.message, /expected seconds or a duration like 10s or 500ms/);
});

test("Inventory.load names the file when it cannot be read, and reads a real file", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "shoal-inv-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await assert.rejects(Inventory.load(join(dir, "missing.yml")), (e: unknown) => e instanceof InventoryError && e.message === `${join(dir, "missing.yml")}: Cannot read inventory: no such file`);
  const path = join(dir, "shoal.yml");
  await writeFile(path, EXAMPLE);
  const inv = await Inventory.load(path);
  assert.equal(inv.path, path);
  assert.equal(inv.hosts.length, 22);
  await writeFile(path, "groups:\n  web: { vars: { port: 0 } }\n");
  await assert.rejects(Inventory.load(path), (e: unknown) => e instanceof InventoryError && e.message.startsWith(`${path}:2:`) && /expected an integer from 1 to 65535, got number 0/.test(e.message));
});

test("an empty inventory and ad hoc host lists work", () => {
  assert.equal(Inventory.parse("").hosts.length, 0);
  const inv = Inventory.fromHosts(["web[1-3]", "db"], { user: "x" });
  assert.deepEqual(inv.hosts.map((h) => h.name), ["web1", "web2", "web3", "db"]);
  assert.equal(inv.get("db")!.vars.user, "x");
  const more = Inventory.parse(EXAMPLE).withHosts(["web01.example.com", "extra"]);
  assert.equal(more.get("web01.example.com")!.vars.port, 2222);
  assert.equal(more.get("extra")!.vars.user, "deploy");
});

test("large ranges load, in groups and at the top (a spread push overflowed the stack past ~120,000 hosts)", () => {
  const inventory = Inventory.parse('groups:\n  big:\n    hosts: ["h[1-200000]"]\nhosts:\n  - "x[1-150000]"\n');
  assert.equal(inventory.hosts.length, 350_000);
  assert.ok(inventory.get("h200000") && inventory.get("x150000"));
});
