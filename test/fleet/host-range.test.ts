import { test } from "node:test";
import assert from "node:assert/strict";
import { HostRangeError, MAX_EXPANSION, checkHostNames, describeHosts, expandHostRange, foldHosts, splitTopLevel } from "../../src/fleet/host-range.js";

test("expandHostRange keeps zero padding from the range start", () => {
  assert.deepEqual(expandHostRange("web[01-03].example.com"), ["web01.example.com", "web02.example.com", "web03.example.com"]);
  assert.equal(expandHostRange("web[01-20].example.com").length, 20);
  assert.equal(expandHostRange("web[01-20].example.com")[19], "web20.example.com");
  assert.deepEqual(expandHostRange("n[8-11]"), ["n8", "n9", "n10", "n11"]);
  assert.deepEqual(expandHostRange("n[008-010]"), ["n008", "n009", "n010"]);
});

test("expandHostRange multiplies several brackets and takes lists", () => {
  const ips = expandHostRange("10.0.[0-3].[1-254]");
  assert.equal(ips.length, 4 * 254);
  assert.equal(ips[0], "10.0.0.1");
  assert.equal(ips[ips.length - 1], "10.0.3.254");
  assert.deepEqual(expandHostRange("node[1-2,5,7-8]"), ["node1", "node2", "node5", "node7", "node8"]);
  assert.deepEqual(expandHostRange("plain.host"), ["plain.host"]);
});

test("expandHostRange refuses malformed ranges with the offset of the fault", () => {
  assert.throws(() => expandHostRange("web[01-"), (e: unknown) => e instanceof HostRangeError && e.index === 3 && /not closed/.test(e.message));
  assert.throws(() => expandHostRange("web[5-1]"), (e: unknown) => e instanceof HostRangeError && /backwards/.test(e.message));
  assert.throws(() => expandHostRange("web[a-b]"), (e: unknown) => e instanceof HostRangeError && /expected a number/.test(e.message));
  assert.throws(() => expandHostRange("web[]"), HostRangeError);
  assert.throws(() => expandHostRange("web]"), HostRangeError);
  assert.throws(() => expandHostRange("h[1-1000].[1-1000].[1-10]"), /exceed the limit/);
});

test("foldHosts writes compact ranges, merging padded and wide-enough numbers", () => {
  assert.deepEqual(foldHosts(["web01", "web02", "web03", "web05", "web07"]), ["web[01-03,05,07]"]);
  assert.deepEqual(foldHosts(expandHostRange("web[01-20]")), ["web[01-20]"]);
  assert.deepEqual(foldHosts(["n1", "n2", "n3", "n10"]), ["n[1-3,10]"]);
  assert.deepEqual(foldHosts(["127.0.1.3", "127.0.1.4", "127.0.1.5", "127.0.2.1"]), ["127.0.1.[3-5]", "127.0.2.1"]);
  assert.deepEqual(foldHosts(["db", "web05"]), ["db", "web05"]);
  assert.deepEqual(foldHosts(["a1.x", "a2.x", "b1.x"]), ["a[1-2].x", "b1.x"]);
  assert.equal(describeHosts(["web01", "web02", "web03", "web04", "web05", "web07"]), "web[01-05,07] (6)");
});

test("foldHosts puts numbers in natural order and folds equal ranges again on the number before them", () => {
  // Before: 127.0.1.[1-250],127.0.10.[1-250],127.0.11.[1-250],...,127.0.2.[1-250] (forty ranges, in text order).
  assert.deepEqual(foldHosts(expandHostRange("127.0.[1-40].[1-250]")), ["127.0.[1-40].[1-250]"]);
  assert.deepEqual(foldHosts(expandHostRange("10.[0-1].[0-3].[1-254]")), ["10.[0-1].[0-3].[1-254]"]);
  assert.deepEqual(foldHosts(["n10", "n2", "m1"]), ["m1", "n[2,10]"]);
  assert.deepEqual(foldHosts(["127.0.10.1", "127.0.2.1", "127.0.2.2"]), ["127.0.2.[1-2]", "127.0.10.1"]);
  // Different ranges do not fold together; padded numbers keep their width.
  assert.deepEqual(foldHosts([...expandHostRange("r[01-02]-n[1-3]"), ...expandHostRange("r03-n[1-2]")]), ["r[01-02]-n[1-3]", "r03-n[1-2]"]);
  assert.deepEqual(foldHosts([...expandHostRange("127.0.1.[1-5]"), ...expandHostRange("127.0.2.[1-2]")]), ["127.0.1.[1-5]", "127.0.2.[1-2]"]);
});

test("foldHosts keeps names whose numbers are past 2^53 apart", () => {
  const names = ["x12345678901234567890", "x12345678901234567891"];
  assert.deepEqual(foldHosts(names), names);
  const back = foldHosts([...names, "x1"]).flatMap((p) => expandHostRange(p));
  assert.deepEqual(back.sort(), [...names, "x1"].sort());
});

test("folding then expanding gives the same hosts back", () => {
  const hosts = [...expandHostRange("web[001-040]"), ...expandHostRange("db[1-9]"), "solo"].filter((_, i) => i % 3 !== 1);
  const back = foldHosts(hosts).flatMap((p) => expandHostRange(p));
  assert.deepEqual(new Set(back), new Set(hosts));
});

test("splitTopLevel keeps commas inside brackets", () => {
  assert.deepEqual(splitTopLevel("a, web[1-3,5] ,!b"), ["a", "web[1-3,5]", "!b"]);
  assert.deepEqual(splitTopLevel(""), []);
});

test("an IPv4 address with ranges goes no further than 255 in a part", () => {
  assert.equal(expandHostRange("10.0.[0-3].[1-254]").length, 4 * 254);
  assert.deepEqual(expandHostRange("10.0.0.[250-255]").at(-1), "10.0.0.255");
  assert.throws(() => expandHostRange("10.0.[0-300].1"), (e: unknown) => e instanceof HostRangeError && e.message === 'Cannot expand host range "10.0.[0-300].1": 300 at offset 8 is past 255, the largest part of an IPv4 address' && e.index === 8);
  assert.throws(() => expandHostRange("256.0.0.[1-2]"), /256 at offset 0 is past 255/);
  // Not an address: names with dotted numbers keep their ranges as given.
  assert.equal(expandHostRange("node[1-300].rack2").length, 300);
  assert.equal(expandHostRange("v1.2.[0-300]").length, 301);
});

test("numbers past 2^53 are refused (n++ stood still there, and the loop filled memory until Node died)", () => {
  assert.throws(
    () => expandHostRange("n[9007199254740992-9007199254740993]"),
    (e: unknown) => e instanceof HostRangeError && e.index === 2 && /9007199254740992 at offset 2 is past 9007199254740991/.test(e.message),
  );
  assert.throws(() => expandHostRange("n[1-99999999999999999999]"), /past 9007199254740991/);
  assert.deepEqual(expandHostRange("n[9007199254740990-9007199254740991]"), ["n9007199254740990", "n9007199254740991"]);
});

test("the limit counts every name of a bracket, and of the brackets before it, before building them", () => {
  // Six items each under the limit: refused at the second, not after six million names.
  const text = `a[${"1-999999,".repeat(6)}1]`;
  assert.throws(() => expandHostRange(text), (e: unknown) => e instanceof HostRangeError && e.index === 11 && /the names up to 1-999999 at offset 11 exceed the limit of 1000000/.test(e.message));
  assert.throws(() => expandHostRange("a[1-1000]b[1-1001]"), (e: unknown) => e instanceof HostRangeError && e.index === 11);
  assert.equal(expandHostRange("a[1-1000]b[1-1000]").length, MAX_EXPANSION);
});

test("checkHostNames takes letters, digits, . - _ and ranges, or a bare IPv6 address, and names the offending character", () => {
  for (const ok of ["web01.example.com", "web[01-20]", "10.0.[0-3].[1-254]", "a_b-c", "::1", "fe80::1"]) assert.doesNotThrow(() => checkHostNames(ok), ok);
  const bad: [string, number][] = [["web*", 3], ["a b", 1], ["127.0.92.1:33475", 10], ["a,b", 1], ["ü1", 0], ["user@host", 4], ["web[1-3]:22", 8]];
  for (const [name, index] of bad) {
    assert.throws(() => checkHostNames(name), (e: unknown) => e instanceof HostRangeError && e.index === index && e.message.startsWith(`Invalid host name ${JSON.stringify(name)}: `), name);
  }
  assert.throws(() => checkHostNames(""), /empty/);
});
