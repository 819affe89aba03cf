import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { GatherReporter, LineReporter, TransferBar, formatHostKeyTable, transferBarFormat } from "../../src/cli/reporters.js";
import type { ProgressBarLike } from "../../src/cli/reporters.js";
import type { FleetEvent } from "../../src/fleet/events.js";
import { privateTmpdir } from "../fixtures/private-tmpdir.js";

function sink(): { stream: Writable; writes: string[] } {
  const writes: string[] = [];
  return { writes, stream: new Writable({ write: (c: Buffer, _e, cb) => (writes.push(c.toString()), cb()) }) };
}

const out = (host: string, data: string): FleetEvent => ({ type: "stdout", host, time: 0, data, bytes: Buffer.from(data) });

test("live lines: whole lines only, prefixed, never two hosts on one line", async () => {
  const o = sink();
  const e = sink();
  const r = new LineReporter({ color: false, hostWidth: 5, out: o.stream, err: e.stream });
  for (const ev of [out("a", "hel"), out("bb", "wor"), out("a", "lo\nsec"), out("bb", "ld\n"), out("a", "ond")]) await r.event(ev);
  assert.deepEqual(o.writes, ["a:     hello\n", "bb:    world\n"]);
  await r.event({ type: "done", host: "a", time: 0, result: { host: "a", state: "ok", durationMs: 1 } });
  assert.deepEqual(o.writes.at(-1), "a:     second\n");
  await r.event({ type: "error", host: "bb", time: 0, kind: "refused", message: "connection refused" });
  await r.event({ type: "error", host: "bb", time: 0, kind: "hostkey", message: "host key not in known_hosts" });
  assert.deepEqual(e.writes, ["bb:    connection refused\n"]);
  for (const w of o.writes) assert.equal(w.split("\n").filter(Boolean).every((l) => /^(a|bb):/.test(l)), true);
});

test("the transfer bar sums bytes over hosts and counts hosts done", () => {
  const calls: { value: number; payload?: Record<string, unknown> }[] = [];
  const bar: ProgressBarLike = {
    start: (_t, value, payload) => calls.push({ value, payload: payload as Record<string, unknown> }),
    update: (value, payload) => calls.push({ value, payload: payload as Record<string, unknown> }),
    setTotal: () => {},
    stop: () => {},
  };
  const r = new TransferBar(bar, 2, 200);
  r.event({ type: "progress", host: "a", time: 0, bytes: 50, total: 100 });
  r.event({ type: "progress", host: "b", time: 0, bytes: 30, total: 100 });
  r.event({ type: "progress", host: "a", time: 0, bytes: 80, total: 100 });
  assert.equal(calls.at(-1)!.value, 110);
  r.event({ type: "done", host: "a", time: 0, result: { host: "a", state: "ok", durationMs: 1, bytes: 100 } });
  assert.equal(calls.at(-1)!.value, 130);
  assert.equal(calls.at(-1)!.payload!["hostsDone"], 1);
  r.end();
});

test("the host-key table lists each host once, changed keys first", () => {
  const note = (host: string, verdict: "unknown" | "changed", accepted = false) => ({ host, lookupName: host, keyType: "ssh-ed25519", fingerprint: `SHA256:${host}`, verdict, accepted, publicKey: "" });
  const text = formatHostKeyTable([note("web2", "unknown"), note("web1", "changed"), note("web2", "unknown")]);
  assert.match(text, /2 host keys could not be verified/);
  assert.match(text, /WARNING: 1 host key has CHANGED/);
  const rows = text.split("\n").filter((l) => /^ {2}web/.test(l));
  assert.deepEqual(rows.map((l) => l.trim().split(/\s+/)[0]), ["web1", "web2"]);
  assert.equal(formatHostKeyTable([]), "");
  // Only changed keys: --accept-new would not help (it never trusts a changed key), ssh-keygen -R does.
  const changedOnly = formatHostKeyTable([note("web1", "changed")]);
  assert.doesNotMatch(changedOnly, /--accept-new/);
  assert.match(changedOnly, /ssh-keygen -R/);
  assert.doesNotMatch(formatHostKeyTable([note("web2", "unknown")]), /ssh-keygen -R/);
});

test("the transfer bar shows whole bytes and its own ETA (cli-progress's read NFs before it had one)", () => {
  const updates: Array<Record<string, unknown>> = [];
  const bar = { start: (_t: number, _v: number, p: object) => updates.push(p as Record<string, unknown>), update: (_v: number, p: object) => updates.push(p as Record<string, unknown>), setTotal: () => {}, stop: () => {} };
  const r = new TransferBar(bar, 2, 1000);
  assert.equal(updates[0]!.etaText, "…");
  r.event({ type: "progress", host: "a", time: 0, bytes: 333, total: 1000 });
  const last = updates[updates.length - 1]!;
  assert.match(String(last.rate), /^\d+ B\/s$|^\d+\.\d (KiB|MiB|GiB)\/s$/);
  assert.match(String(last.moved), /^333 B$/);
  assert.notEqual(last.etaText, "…");
});

test("the bar's line, through cli-progress's own formatter, shows our ETA (cli-progress fills a token named eta itself)", async () => {
  const { default: cliProgress } = await import("cli-progress");
  let payload: object = {};
  const bar = { start: (_t: number, _v: number, p: object) => (payload = p), update: (_v: number, p: object) => (payload = p), setTotal: () => {}, stop: () => {} };
  new TransferBar(bar, 2, 1000).event({ type: "progress", host: "a", time: 0, bytes: 333, total: 500 });
  const line = cliProgress.Format.Formatter({ format: transferBarFormat("put"), barsize: 10, barCompleteString: "#", barIncompleteString: "-", barGlue: "", autopaddingChar: "0" } as never, { progress: 0.333, eta: 8381, startTime: Date.now(), stopTime: null, total: 1000, value: 333, maxWidth: 200 } as never, payload);
  assert.doesNotMatch(line, /ETA 8381/);
  assert.match(line, /ETA (\d+(\.\d+)?(ms|s|m|h)|…)/);
  assert.match(line, /hosts 0\/2/);
});

test("the get bar's total is the sum of what each host listed; a host done counts only when ok", () => {
  const totals: number[] = [];
  let value = 0;
  let payload: Record<string, unknown> = {};
  const bar = { start: (t: number) => totals.push(t), update: (v: number, p: object) => ((value = v), (payload = p as Record<string, unknown>)), setTotal: (t: number) => totals.push(t), stop: () => {} };
  const r = new TransferBar(bar, 3, 0);
  r.event({ type: "progress", host: "a", time: 0, bytes: 0, total: 300 });
  r.event({ type: "progress", host: "b", time: 0, bytes: 100, total: 200 });
  assert.equal(totals.at(-1), 500);
  assert.equal(value, 100);
  r.event({ type: "done", host: "a", time: 0, result: { host: "a", state: "ok", durationMs: 1, bytes: 0, skipped: 1 } });
  // An unchanged file copies no bytes, but the host did all of its share.
  assert.equal(value, 400);
  r.event({ type: "done", host: "c", time: 0, result: { host: "c", state: "killed", durationMs: 1 } });
  assert.equal(payload["hostsDone"], 1);
  assert.equal(value, 400);
});

test("gathering keeps one copy of an output many hosts print, and no spill file past a host's end", async (t) => {
  const { readdir } = await import("node:fs/promises");
  const { join } = await import("node:path");
  const spill = await privateTmpdir(t, "shoal-gather-test-");
  const files = async (): Promise<string[]> => {
    const found: string[] = [];
    for (const d of await readdir(spill)) found.push(...(await readdir(join(spill, d))));
    return found;
  };
  const o = sink();
  const r = new GatherReporter({ tty: false, color: false, total: 3, out: o.stream });
  const chunk = "x".repeat(1 << 20) + "\n";
  for (const host of ["a", "b", "c"]) for (let i = 0; i < 12; i++) await r.event({ type: "stdout", host, time: 0, data: chunk, bytes: Buffer.from(chunk) });
  assert.ok((await files()).length > 0, "12 MiB per host spills to disk");
  await r.event({ type: "done", host: "a", time: 0, result: { host: "a", state: "ok", durationMs: 1 } });
  await r.event({ type: "done", host: "b", time: 0, result: { host: "b", state: "ok", durationMs: 1 } });
  // Stopped, but it printed: gathered with what it printed (it was dropped).
  await r.event({ type: "done", host: "c", time: 0, result: { host: "c", state: "killed", durationMs: 1 } });
  // One copy kept, to print at the end; the other hosts' are gone.
  assert.equal((await files()).length, 1);
  await r.end();
  assert.match(o.writes.join(""), /^-+\na,b,c \(3\)\n-+\nx{1048576}\n/);
  assert.deepEqual(await files(), []);
});

test("gathering: distinct outputs, each printed once at the end; a stopped host that printed nothing is left to the summary", async () => {
  const o = sink();
  const r = new GatherReporter({ tty: false, color: false, total: 4, out: o.stream });
  await r.event(out("a", "one\n"));
  await r.event(out("b", "two\n"));
  await r.event(out("c", "one\n"));
  for (const host of ["a", "b", "c"]) await r.event({ type: "done", host, time: 0, result: { host, state: "ok", durationMs: 1 } });
  await r.event({ type: "done", host: "d", time: 0, result: { host: "d", state: "timeout", durationMs: 1 } });
  await r.end();
  assert.equal(o.writes.join(""), "---------------\na,c (2)\n---------------\none\n---------------\nb (1)\n---------------\ntwo\n");
});

test("-b on a terminal: the status line leaves the screen before a stderr line or an error is written", async () => {
  const o = sink();
  (o.stream as unknown as { columns: number }).columns = 0; // a pty that says 0 columns: 80 then
  const gather = new GatherReporter({ tty: true, color: false, total: 2, out: o.stream });
  const e = sink();
  const quiet = sink();
  const lines = new LineReporter({ color: false, hostWidth: 1, out: quiet.stream, err: e.stream, showStdout: false, beforeWrite: () => gather.clearStatus() });
  const both = async (ev: FleetEvent) => {
    await gather.event(ev);
    await lines.event(ev);
  };
  await both(out("a", "x\n"));
  await both({ type: "done", host: "a", time: 0, result: { host: "a", state: "ok", durationMs: 1 } });
  assert.equal(o.writes.at(-1), "\r\x1b[K[1/2] a (1)");
  await both({ type: "stderr", host: "b", time: 0, data: "oops\n", bytes: Buffer.from("oops\n") });
  // Cleared first, so the line starts at the left, on a line of its own.
  assert.equal(o.writes.at(-1), "\r\x1b[K");
  assert.deepEqual(e.writes, ["b: oops\n"]);
  // Stdout is the gatherer's: the line reporter leaves it alone.
  assert.deepEqual(quiet.writes, []);
});

test("live lines: a carriage return inside a line keeps what a terminal would show; a line cut at 64 KiB leaves no empty line", async () => {
  const o = sink();
  const r = new LineReporter({ color: false, hostWidth: 1, out: o.stream, err: sink().stream });
  await r.event(out("a", "10%\r50%\rdone\n"));
  assert.deepEqual(o.writes, ["a: done\n"]);
  o.writes.length = 0;
  const long = "x".repeat(64 * 1024);
  await r.event(out("a", long));
  await r.event(out("a", "\nnext\n"));
  assert.deepEqual(o.writes, [`a: ${long}\n`, "a: next\n"]);
});
