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
  // An empty path named nothing (": Cannot read inventory: no such file").
  await assert.rejects(Inventory.load(""), { name: "TypeError", message: "Inventory.load: path must be a file's path: got an empty string" });
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

test("connect_timeout must be from 1 ms to 24 days: 0, what rounds to 0, .inf and 1e12 would time the host out at once", () => {
  for (const bad of ['"0"', "0", "0.0001", ".inf", "1e12", "-1", ".nan", '"0ms"', '"597h"']) {
    const e = errorOf(`defaults:\n  connect_timeout: ${bad}\n`);
    assert.deepEqual([e.line, e.column], [2, 20], bad);
    assert.match(e.message, /Invalid connect_timeout: expected seconds or a duration like 10s or 500ms, from 1ms to 24 days \(596h\), got /, bad);
  }
  assert.equal(Inventory.parse("defaults: { connect_timeout: 0.001 }\nhosts: [a]\n").get("a")!.vars.connect_timeout, 1);
  assert.equal(Inventory.parse("defaults: { connect_timeout: 596h }\nhosts: [a]\n").get("a")!.vars.connect_timeout, 596 * 3_600_000);
});

test("YAML anchors, aliases and merge keys (<<) work where their values would", () => {
  const inv = Inventory.parse(`
defaults: &base { user: deploy, port: 2222 }
groups:
  web: { hosts: &wh [a, b], vars: { port: &p 22 } }
  db: { hosts: *wh, vars: { port: *p } }
  cache:
    hosts: [{ host: c, <<: *base, port: 3 }, &d d, *d]
    vars:
      <<: [{ user: first }, { user: second, rack: 7 }]
`);
  assert.deepEqual(inv.members("db")!.map((h) => h.name), ["a", "b"]);
  assert.deepEqual(inv.get("a")!.vars, { user: "deploy", port: 22 });
  assert.deepEqual(inv.get("c")!.vars, { user: "deploy", port: 3, rack: 7 });
  assert.deepEqual(inv.get("d")!.vars, { user: "first", port: 2222, rack: 7 });
  assert.equal(Object.hasOwn(inv.get("d")!.vars, "<<"), false);
  // Errors point where the alias is written; an alias that names no anchor, or a mapping that merges itself, are said.
  let e = errorOf("x: &m { a: 1 }\n");
  assert.match(e.message, /Unknown key "x"/);
  e = errorOf("groups:\n  web: { vars: &v { a: 1 } }\n  db: { hosts: *v }\n");
  assert.deepEqual([e.line, e.column], [3, 16]);
  assert.match(e.message, /Invalid hosts: expected a list of host names or \{ host: NAME, \.\.\.vars \} entries, got a mapping/);
  e = errorOf("defaults: { user: &u deploy }\ngroups:\n  web: { vars: { port: *u } }\n");
  assert.deepEqual([e.line, e.column], [3, 24]);
  assert.match(e.message, /Invalid port: expected an integer from 1 to 65535, got "deploy"/);
  e = errorOf("hosts: [*nope]\n");
  assert.deepEqual([e.line, e.column], [1, 9]);
  assert.match(e.message, /Unknown alias \*nope: expected an anchor &nope before it/);
  e = errorOf("defaults: &a { <<: *a }\n");
  assert.match(e.message, /Invalid merge key "<<": the mapping merges itself/);
  e = errorOf("defaults: { <<: 5 }\n");
  assert.match(e.message, /Invalid merge key "<<": expected a mapping or a list of mappings \(such as \*base\), got number 5/);
  e = errorOf("defaults: { x: &r { c: *r } }\n");
  assert.match(e.message, /Invalid x: the value contains itself/);
});

test("a host:port or a comma in a host name is refused where it is written", () => {
  let e = errorOf('groups:\n  web:\n    hosts: ["127.0.92.1:33475"]\n');
  assert.deepEqual([e.line, e.column], [3, 24]);
  assert.match(e.message, /Invalid host name "127\.0\.92\.1:33475": a port cannot be in a name: write \{ host: 127\.0\.92\.1, port: 33475 \}/);
  e = errorOf('hosts: [{ host: "a,b" }]\n');
  assert.deepEqual([e.line, e.column], [1, 19]);
  assert.match(e.message, /Invalid host name "a,b": "," cannot be in a name: list each host as its own item, \[a, b\]/);
  e = errorOf("hosts: [web*]\n");
  assert.match(e.message, /Invalid host name "web\*": "\*" at offset 3 cannot be in a name/);
  assert.equal(Inventory.parse('hosts: ["::1"]\n').hosts[0]!.name, "::1");
});

test("errors inside a scalar point at its character, or at the scalar when escapes or folding move the text", () => {
  let e = errorOf('hosts:\n  - "web[1-x]"\n');
  assert.deepEqual([e.line, e.column], [2, 10]);
  e = errorOf('hosts:\n  - "web\\u0041[1-x]"\n');
  assert.deepEqual([e.line, e.column], [2, 5]);
  assert.match(e.message, /Cannot parse host range "webA\[1-x\]"/);
  e = errorOf("hosts:\n  - >-\n    web[1-x]\n");
  assert.deepEqual([e.line, e.column], [3, 9]);
  e = errorOf("hosts:\n  - 'it''s[1-x]'\n");
  assert.deepEqual([e.line, e.column], [2, 5]);
});

test("what was found is said: a host entry whose host is not a name, vars, hosts and children of the wrong kind", () => {
  let e = errorOf("hosts: [{ host: 5 }]\n");
  assert.deepEqual([e.line, e.column], [1, 17]);
  assert.match(e.message, /Invalid host entry: expected a host name after `host:`, got number 5/);
  e = errorOf("groups: { web: { vars: [1] } }\n");
  assert.match(e.message, /Invalid vars: expected a mapping of variable names to values, got a list/);
  e = errorOf("groups: { web: { hosts: { a: 1 } } }\n");
  assert.match(e.message, /Invalid hosts: .*, got a mapping/);
  e = errorOf("groups: { web: { children: web2 } }\n");
  assert.match(e.message, /Invalid children: expected a list of group names, got "web2"/);
  e = errorOf("groups: { web: { children: [[a]] } }\n");
  assert.match(e.message, /Invalid child: expected a group name, got a list/);
});

test("parsing grows with groups plus hosts, not their product (5000 groups of 10 hosts took 12 s)", () => {
  let text = "groups:\n";
  for (let g = 0; g < 10_000; g++) text += `  rack${g}:\n    hosts: ["n${g}-[01-10]"]\n`;
  const started = performance.now();
  const inv = Inventory.parse(text);
  const ms = performance.now() - started;
  assert.equal(inv.hosts.length, 100_000);
  assert.deepEqual(inv.members("rack9999")!.map((h) => h.name).slice(0, 2), ["n9999-01", "n9999-02"]);
  // About 2 s here; the quadratic parse took about 50 s for these.
  assert.ok(ms < 15_000, `10,000 groups parsed in ${Math.round(ms)} ms`);
});

test("aliases and merge keys do not make parsing quadratic (each alias walked the whole document: 2000 groups took 27 s)", () => {
  let text = "defaults: &d { user: u }\ngroups:\n";
  for (let g = 0; g < 3000; g++) text += `  g${g}:\n    vars: { <<: *d, port: ${g + 1} }\n    hosts: [h${g}]\n`;
  const started = performance.now();
  const inv = Inventory.parse(text);
  const ms = performance.now() - started;
  assert.deepEqual(inv.get("h2999")!.vars, { user: "u", port: 3000 });
  // Under a second here; about a minute before.
  assert.ok(ms < 10_000, `3000 groups with merge keys parsed in ${Math.round(ms)} ms`);
});
