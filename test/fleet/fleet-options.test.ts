/**
 * A Fleet's options, and each run's, are checked when they are given, naming the option and the
 * value: out of range, they used to surface later as something else (every host `timeout` at once,
 * "timed out after NaNmNaNs", a positional timeout ignored).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Fleet } from "../../src/fleet/fleet.js";
import type { FleetOptions, RunOptions } from "../../src/fleet/fleet.js";

const base = { sshConfig: false as const, agent: false as const };

test("new Fleet refuses options out of range, naming the option", () => {
  const bad: [FleetOptions, RegExp][] = [
    [{ forks: 0 }, /forks must be a positive integer: got number 0/],
    [{ handshakesPerServer: 0 }, /Fleet: handshakesPerServer must be a positive integer: got number 0/],
    [{ connectTimeout: -5 }, /connectTimeout must be from 1 to 2147483647 ms/],
    [{ connectTimeout: 0 }, /connectTimeout must be from 1/],
    [{ connectTimeout: Infinity }, /connectTimeout must be from 1/],
    [{ connectTimeout: NaN }, /connectTimeout must be a number of milliseconds: got number NaN/],
    [{ connectTimeout: "10s" as unknown as number }, /connectTimeout must be a number of milliseconds: got "10s"/],
    [{ retries: -1 }, /retries must be an integer, 0 or more/],
    [{ retries: 1.5 }, /retries must be an integer/],
    [{ retryDelay: -1 }, /retryDelay must be a number of milliseconds, 0 or more/],
    [{ keepConnections: -1 }, /keepConnections must be true, false or a number/],
  ];
  for (const [options, message] of bad) assert.throws(() => new Fleet(["h1"], { ...base, ...options }), message, JSON.stringify(options));
  assert.throws(() => new Fleet(["h1"], 5000 as unknown as FleetOptions), /new Fleet: options must be an object, not a number/);
  for (const good of [{ connectTimeout: 1 }, { retries: 0, retryDelay: 0 }, { keepConnections: 0 }, { keepConnections: 10 }, { handshakesPerServer: 2 }]) {
    assert.doesNotThrow(() => new Fleet(["h1"], { ...base, ...good }));
  }
});

test("run, put, get and ping refuse a bad timeout or signal, or a number for their options, when called", async () => {
  await using fleet = new Fleet(["h1"], base);
  const calls: [string, (o: unknown) => unknown][] = [
    ["Fleet.run", (o) => fleet.run("true", o as RunOptions)],
    ["Fleet.put", (o) => fleet.put("/etc/hostname", "x", o as RunOptions)],
    ["Fleet.get", (o) => fleet.get("x", "/tmp/x", o as RunOptions)],
  ];
  for (const [where, call] of calls) {
    assert.throws(() => call(10), new RegExp(`^TypeError: ${where}: options must be an object, not a number \\(a timeout goes in \\{ timeout \\}, in milliseconds\\)`));
    assert.throws(() => call({ timeout: -1 }), new RegExp(`^RangeError: ${where}: timeout must not be negative: got -1`));
    assert.throws(() => call({ timeout: NaN }), new RegExp(`^TypeError: ${where}: timeout must be a number of milliseconds`));
    assert.throws(() => call({ timeout: 2 ** 32 }), new RegExp(`^RangeError: ${where}: timeout must be at most TIMEOUT_MAX`));
    assert.throws(() => call({ signal: "x" }), new RegExp(`^TypeError: ${where}: signal must be an AbortSignal: got "x"`));
    assert.doesNotThrow(() => call({ timeout: Infinity }));
  }
  assert.throws(() => fleet.ping(3 as never), /^TypeError: Fleet.ping: options must be an object/);
  assert.throws(() => fleet.ping({ signal: {} as AbortSignal }), /^TypeError: Fleet.ping: signal must be an AbortSignal/);
});

test("names given to a Fleet are checked and their ranges expanded, as Inventory.fromHosts takes them", async () => {
  // Taken as they were, "" connected to localhost and these two failed late, as names that do not resolve.
  assert.throws(() => new Fleet([""], base), { name: "HostRangeError", message: 'Invalid host name "": it is empty' });
  assert.throws(() => new Fleet(["root@web1:2222"], base), { name: "HostRangeError", message: /"@" at offset 4 cannot be in a name .*a user or port goes in a Host: adHocHost\(name, \{ user, port \}\)/ });
  await using fleet = new Fleet(["web[1-3]", "::1"], base);
  assert.deepEqual(fleet.hosts.map((h) => h.name), ["web1", "web2", "web3", "::1"]);
  fleet.add(["db[01-02]", "web2"]);
  assert.deepEqual(fleet.hosts.map((h) => h.name), ["web1", "web2", "web3", "::1", "db01", "db02"]);
  assert.throws(() => fleet.add(["a b"]), { name: "HostRangeError" });
});

test("a host list given as one string is a TypeError, not a host per character", async () => {
  // Iterated, "web01" was five hosts (w, e, b, 0, 1) that each failed as a name that does not resolve.
  assert.throws(() => new Fleet("web01", base), { name: "TypeError", message: 'new Fleet: hosts must be a list of hosts or names, not a string: got "web01" (write ["web01"])' });
  await using fleet = new Fleet(["web01", "web02"], base);
  assert.throws(() => fleet.add("db[1-2]"), { name: "TypeError", message: /^Fleet\.add: hosts must be a list of hosts or names, not a string: got "db\[1-2\]"/ });
  assert.throws(() => fleet.run("true", { hosts: "web01" }), { name: "TypeError", message: /^the hosts option must be a list of hosts or names, not a string/ });
  assert.deepEqual(fleet.hosts.map((h) => h.name), ["web01", "web02"]);
});
