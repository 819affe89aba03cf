import { test } from "node:test";
import assert from "node:assert/strict";
import { Inventory } from "../../src/fleet/inventory.js";
import { PatternError } from "../../src/fleet/inventory-error.js";

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
  const sets = new Map([["last.failed", ["web04", "db2", "elsewhere"]]]);
  assert.deepEqual(names("@last.failed", { sets }), ["web04", "db2", "elsewhere"]);
  assert.deepEqual(names("@last.failed,!db*", { sets }), ["web04", "elsewhere"]);
  assert.throws(() => names("@last.ok", { sets }), (e: unknown) => e instanceof PatternError && /no previous run saved it.*@last\.failed/.test(e.message));
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
});
