import { test } from "node:test";
import assert from "node:assert/strict";
import { Inventory } from "../../src/fleet/inventory.js";
import { PatternError } from "../../src/fleet/inventory-error.js";
import type { SavedHost } from "../../src/fleet/last-sets.js";

const inv = Inventory.parse(`
groups:
  web: { hosts: ["web[01-06]"] }
  db: { hosts: [db1, db2] }
  eu: { hosts: [web01, web02, db1] }
  prod: { children: [web, db] }
`);
const names = (pattern: string, o = {}) => inv.select(pattern, o).map((h) => h.name);

test("groups, names, globs, ranges and lists select hosts in inventory order", () => {
  assert.deepEqual(names("@db"), ["db1", "db2"]);
  assert.deepEqual(names("db2,web03"), ["web03", "db2"]);
  assert.deepEqual(names("web0[1-2]"), ["web01", "web02"]);
  assert.deepEqual(names("web*"), ["web01", "web02", "web03", "web04", "web05", "web06"]);
  assert.deepEqual(names("db?"), ["db1", "db2"]);
  assert.equal(names("all").length, 8);
  assert.equal(names("@prod").length, 8);
  assert.deepEqual(names("@e*"), ["web01", "web02", "db1"]);
});

test("! excludes and & intersects", () => {
  assert.deepEqual(names("@web,!web0[3-6]"), ["web01", "web02"]);
  assert.deepEqual(names("@prod,&@eu"), ["web01", "web02", "db1"]);
  assert.deepEqual(names("@prod,&@eu,!db*"), ["web01", "web02"]);
  assert.deepEqual(names("!@web"), ["db1", "db2"]);
  assert.deepEqual(names("&@eu"), ["web01", "web02", "db1"]);
});

test("saved sets such as @last.failed select exactly their hosts", () => {
  const sets = new Map([["last.failed", ["web04", "db2"]]]);
  assert.deepEqual(names("@last.failed", { sets }), ["web04", "db2"]);
  assert.deepEqual(names("@last.failed,!db*", { sets }), ["web04"]);
  assert.throws(() => names("@last.ok", { sets }), (e: unknown) => e instanceof PatternError && /no previous run saved it.*@last\.failed/.test(e.message));
});

test("a saved set's ad hoc hosts come back with the user and port they were reached with; names known nowhere are refused", () => {
  const sets = new Map([["last.failed", ["web04", "elsewhere"]]]);
  const savedHosts = new Map<string, SavedHost>([["elsewhere", { user: "shoal", port: 2200 }]]);
  const hosts = inv.select("@last.failed", { sets, savedHosts });
  assert.deepEqual(hosts.map((h) => [h.name, h.vars]), [["web04", {}], ["elsewhere", { user: "shoal", port: 2200 }]]);
  // An inventory host that -H reached with another port keeps it.
  assert.deepEqual(inv.select("@last.failed", { sets, savedHosts: new Map([...savedHosts, ["web04", { port: 2201 }]]) })[0]!.vars, { port: 2201 });
  // Without the saved hosts (another inventory, an old file, the shell): refused by name, not made up as web:22.
  for (const o of [{ sets }, { sets, adHoc: true }]) {
    assert.throws(() => inv.select("@last.failed", o), (e: unknown) => e instanceof PatternError && e.message === `Cannot select "@last.failed": elsewhere is not in the inventory <inventory> (the run that saved it had other hosts)`);
  }
  const many = new Map([["last.all", ["a", "b", "web01"]]]);
  assert.throws(() => Inventory.fromHosts(["x"]).select("@last.all", { sets: many }), /^PatternError: Cannot select "@last\.all": a, b, web01 are not among the ad hoc hosts of the run that saved it, and no inventory was loaded$/);
});

test("unknown groups and hosts are refused, unless ad hoc hosts are allowed", () => {
  assert.throws(() => names("@dbs"), (e: unknown) => e instanceof PatternError && /Unknown group "@dbs": expected one of @web, @db, @eu, @prod/.test(e.message));
  assert.throws(() => names("web07"), (e: unknown) => e instanceof PatternError && /Unknown host web07/.test(e.message));
  assert.throws(() => names("web[07-20]"), /Unknown hosts web07, web08, web09, web10, web11, and 9 more/);
  assert.deepEqual(names("web07,web01", { adHoc: true }), ["web01", "web07"]);
  assert.throws(() => names("web[1-"), PatternError);
  assert.throws(() => names(" , "), PatternError);
  assert.throws(() => names("!"), PatternError);
  // "&" and "!" begin list items: written inside one, they get the corrected pattern, not "Unknown group".
  assert.throws(() => names("@prod&!web03"), (e: unknown) => e instanceof PatternError && e.message.includes('(write "@prod,!web03")'));
  assert.throws(() => names("web*&@eu"), (e: unknown) => e instanceof PatternError && e.message.includes('(write "web*,&@eu")'));
  // Two operators in a row: the hint is a pattern that works.
  assert.throws(() => names("@web,!!web01"), (e: unknown) => e instanceof PatternError && e.message.endsWith('"!!" puts operators in a row; an item takes one (write "@web,!web01")'));
  assert.throws(() => names("@web,&!web01"), (e: unknown) => e instanceof PatternError && e.message.endsWith('(write "@web,!web01")'));
  assert.throws(() => names("@web,&&@eu"), (e: unknown) => e instanceof PatternError && e.message.endsWith('(write "@web,&@eu")'));
  assert.throws(() => names("@prod!!web03"), (e: unknown) => e instanceof PatternError && e.message.endsWith('(write "@prod,!web03")'));
  assert.deepEqual(names("@web,!web01"), ["web02", "web03", "web04", "web05", "web06"]);
});

test("unknown names and groups are said plainly, with or without an inventory", () => {
  assert.throws(() => names("web07"), (e: unknown) => e instanceof PatternError && e.message === "Unknown host web07: not in the inventory <inventory> (select with { adHoc: true } to take such names as ad hoc hosts)");
  const none = Inventory.fromHosts(["a"]);
  assert.throws(() => none.select("b"), (e: unknown) => e instanceof PatternError && e.message === "Unknown host b: no inventory was loaded (select with { adHoc: true } to take such names as ad hoc hosts)");
  assert.throws(() => none.select("@web"), (e: unknown) => e instanceof PatternError && e.message === 'Unknown group "@web": no inventory was loaded, so there are no groups');
  assert.throws(() => Inventory.parse("hosts: [a]", "x.yml").select("@web"), (e: unknown) => e instanceof PatternError && e.message === 'Unknown group "@web": expected one of (the inventory x.yml has no groups)');
});

test("names taken as ad hoc hosts are checked as -H checks them; a set of an older shoal is taken as it is without an inventory", () => {
  const none = Inventory.fromHosts([]);
  assert.throws(() => none.select("127.0.10.1:35513", { adHoc: true }), (e: unknown) => e instanceof PatternError && /":" at offset 10 cannot be in a name.*\(a port goes with -H 127\.0\.10\.1:35513/.test(e.message));
  assert.throws(() => none.select("me@db1", { adHoc: true }), (e: unknown) => e instanceof PatternError && /"@" at offset 2 cannot be in a name/.test(e.message));
  assert.deepEqual(none.select("db1,web[1-2]", { adHoc: true }).map((h) => h.name), ["db1", "web1", "web2"]);
  // last.json of an older shoal: names only, no `hosts`.
  const sets = new Map([["last.failed", ["a2"]]]);
  assert.deepEqual(none.select("@last.failed", { adHoc: true, sets }).map((h) => h.name), ["a2"]);
  // With an inventory, a name it lacks is still refused (the set was saved on another one).
  assert.throws(() => Inventory.parse("hosts: [a]", "x.yml").select("@last.failed", { adHoc: true, sets }), PatternError);
});
