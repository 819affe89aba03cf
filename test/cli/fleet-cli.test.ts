/**
 * The `shoal` command end to end: a real process against OpenSSH's sshd on loopback addresses.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startSshd } from "../fixtures/sshd.js";
import { startSshAgent } from "../fixtures/ssh-agent.js";

const MAIN = fileURLToPath(new URL("../../shoal.mjs", import.meta.url));
const sshd = await startSshd({ listenAll: true, maxStartups: 1000 });
const dir = await mkdtemp(join(tmpdir(), "shoal-cli-"));
test.after(async () => {
  await sshd.stop();
  await rm(dir, { recursive: true, force: true });
});
const knownHosts = join(dir, "known_hosts");
await writeFile(knownHosts, `[127.0.*]:${sshd.port} ${sshd.hostPublicKeys[0]}\n`);
const inventory = join(dir, "shoal.yml");
await writeFile(
  inventory,
  `defaults:
  user: ${sshd.user}
  port: ${sshd.port}
  identity_file: ${sshd.keyPath}
  known_hosts: ${knownHosts}
groups:
  web:
    hosts: ["127.0.1.[1-5]"]
  db:
    hosts: ["127.0.2.[1-2]"]
  dead:
    hosts: [{ host: closed, hostname: 127.0.0.1, port: 1 }]
  prod:
    children: [web, db]
`,
);

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

function shoal(args: string[], options: { input?: string; cwd?: string; env?: Record<string, string>; onStdout?: (text: string, kill: (sig: NodeJS.Signals) => void) => void } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      cwd: options.cwd ?? dir,
      env: { ...process.env, SHOAL_STATE_DIR: join(dir, "state"), NO_COLOR: "1", ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      options.onStdout?.(stdout, (sig) => child.kill(sig));
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

const WHOAMI = 'set -- $SSH_CONNECTION; echo "$3"';

test("usage and inventory errors exit 64 and say what was expected", async () => {
  let r = await shoal(["run", "@web"]);
  assert.equal(r.status, 64);
  assert.match(r.stderr, /Missing command: give it after `--`/);
  r = await shoal(["run", "@nope", "--", "true"]);
  assert.equal(r.status, 64);
  assert.match(r.stderr, /Unknown group "@nope": expected one of @web, @db, @dead, @prod/);
  // A mistyped --known-hosts would make every host unknown: refused, unless --accept-new is to start it.
  r = await shoal(["run", "@web", "--known-hosts", join(dir, "typo.txt"), "--", "true"]);
  assert.equal(r.status, 64);
  assert.match(r.stderr, /Cannot read --known-hosts .*typo\.txt: no such file/);
  r = await shoal(["run", "@web", "--known-hosts", dir, "--", "true"]);
  assert.equal(r.status, 64);
  assert.match(r.stderr, /Cannot read --known-hosts .*: it is not a file/);
  r = await shoal(["run", "@web", "-u", "", "--", "true"]);
  assert.equal(r.status, 64);
  assert.match(r.stderr, /Invalid --user: it is empty/);
  // Under a millisecond would round to 0, which is "none".
  r = await shoal(["run", "@web", "-t", "0.0001", "--", "true"]);
  assert.equal(r.status, 64);
  assert.match(r.stderr, /less than a millisecond/);
  r = await shoal(["run", "@web", "--timeout", "3x", "--", "true"]);
  assert.equal(r.status, 64);
  assert.match(r.stderr, /expected a number of seconds or a number with a unit/);
  const bad = join(dir, "bad.yml");
  await writeFile(bad, "groups:\n  web:\n    hosts: [a]\n    vars: { port: http }\n");
  r = await shoal(["hosts", "-i", bad]);
  assert.equal(r.status, 64);
  assert.equal(r.stderr, `shoal: ${bad}:4:19: Invalid port: expected an integer from 1 to 65535, got "http"\n`);
  r = await shoal(["frobnicate"]);
  assert.equal(r.status, 64);
  r = await shoal(["put", "@web", dir, "/tmp/x"]);
  assert.equal(r.status, 64);
  assert.equal(r.stderr, `shoal: Cannot put ${dir}: it is a folder (copy it recursively: -r, or the recursive option)\n`);
  r = await shoal(["put", "@web", "/dev/null", "/tmp/x"]);
  assert.equal(r.status, 64);
  assert.equal(r.stderr, "shoal: Cannot put /dev/null: it is not a file (a device, a pipe or a socket)\n");
  r = await shoal(["run", "@web", "--", ""]);
  assert.equal(r.status, 64);
  assert.match(r.stderr, /Missing command: the one given after `--` is empty/);
  r = await shoal(["run", "@web", "--json", "-b", "--", "true"]);
  assert.equal(r.status, 64);
  assert.match(r.stderr, /--json and -b\/--gather do not go together/);
  r = await shoal(["hosts", "-H", "10.0.[0-300].1"]);
  assert.equal(r.status, 64);
  assert.match(r.stderr, /300 at offset 8 is past 255, the largest part of an IPv4 address/);
  r = await shoal(["run", "@web", "--connect-timeout", "0", "--", "true"]);
  assert.equal(r.status, 64);
  assert.match(r.stderr, /Invalid connect timeout: it must be more than 0/);
  r = await shoal(["get", "@web", "/etc/hostname", join(dir, "bad.yml")]);
  assert.equal(r.status, 64);
  assert.match(r.stderr, /Cannot get into .*bad\.yml: it is not a folder/);
  // Ports past 65535, by flag or in an ad hoc host: refused before anything connects.
  r = await shoal(["run", "-H", "127.0.0.1", "-p", "70000", "--", "true"]);
  assert.equal(r.status, 64);
  assert.match(r.stderr, /Invalid port: expected an integer from 1 to 65535, got "70000"/);
  r = await shoal(["run", "-H", "127.0.0.1:99999", "--", "true"]);
  assert.equal(r.status, 64);
  assert.match(r.stderr, /Invalid port: expected an integer from 1 to 65535, got "99999", in host "127.0.0.1:99999"/);
  // No inventory anywhere: the message says where one was looked for, and the ways around it.
  const empty = await mkdtemp(join(tmpdir(), "shoal-no-inventory-"));
  try {
    r = await shoal(["run", "all", "--", "true"], { cwd: empty, env: { HOME: empty } });
    assert.equal(r.status, 64);
    assert.match(r.stderr, /No hosts match "all" \(no inventory: none at .*shoal\.yml or .*inventory\.yml; give -i FILE, or hosts with -H a,b or -h FILE\)/);
    // A mistake in ~/.ssh/config: named by file and line, before anything connects.
    await mkdir(join(empty, ".ssh"));
    await writeFile(join(empty, ".ssh", "config"), "Host *\n  User me\nMatch hots web*\n");
    r = await shoal(["run", "-H", "127.0.0.1", "--", "true"], { env: { HOME: empty } });
    assert.equal(r.status, 64);
    assert.equal(r.stderr, `shoal: ${join(empty, ".ssh", "config")} line 3: Unsupported Match criterion: hots\n`);
  } finally {
    await rm(empty, { recursive: true, force: true });
  }
});

test("hosts and groups list without connecting", async () => {
  let r = await shoal(["hosts", "@prod,!127.0.1.[2-4]"]);
  assert.equal(r.status, 0);
  assert.equal(r.stdout, "127.0.1.1\n127.0.1.5\n127.0.2.1\n127.0.2.2\n");
  r = await shoal(["hosts", "@prod", "--fold"]);
  assert.equal(r.stdout, "127.0.1.[1-5],127.0.2.[1-2] (7)\n");
  r = await shoal(["groups"]);
  assert.match(r.stdout, /^@web +5 +127\.0\.1\.\[1-5\]$/m);
  assert.match(r.stdout, /^@prod +7 +127\.0\.1\.\[1-5\],127\.0\.2\.\[1-2\] +\(children: web, db\)$/m);
  r = await shoal(["hosts", "-H", "a[1-3],b", "-i", inventory]);
  assert.equal(r.stdout, "a1\na2\na3\nb\n");
  const hostsFile = join(dir, "hosts.txt");
  await writeFile(hostsFile, "# pssh style\nx1 alice\n\nbob@x2:2222\n");
  r = await shoal(["hosts", "-h", hostsFile, "--json"]);
  assert.deepEqual(
    (JSON.parse(r.stdout) as { name: string; vars: Record<string, unknown> }[]).map((h) => [h.name, h.vars["user"], h.vars["port"]]),
    [["x1", "alice", sshd.port], ["x2", "bob", 2222]],
  );
});

test("run: whole lines prefixed with the host, exit 0; a failure anywhere exits 1", async () => {
  let r = await shoal(["run", "@web", "--", `${WHOAMI}; printf 'par'; sleep 0.2; printf 'tial'`]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split("\n").sort();
  assert.equal(lines.length, 10);
  for (let i = 1; i <= 5; i++) {
    assert.ok(lines.includes(`127.0.1.${i}: 127.0.1.${i}`), r.stdout);
    assert.ok(lines.includes(`127.0.1.${i}: partial`), r.stdout);
  }
  assert.match(r.stderr, /5 hosts in [\d.]+m?s: ok 5/);
  r = await shoal(["run", "@web", "--", `${WHOAMI} >/dev/null; case "$3" in 127.0.1.[24]) echo oops >&2; exit 3;; esac`]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /127\.0\.1\.2: oops/);
  assert.match(r.stderr, /failed +exit 3: 127\.0\.1\.\[2,4\] \(2\)/);
  assert.match(r.stderr, /saved: .*@last\.failed/);

  // @last.failed reruns exactly those hosts.
  r = await shoal(["hosts", "@last.failed"]);
  assert.equal(r.stdout, "127.0.1.2\n127.0.1.4\n");
  r = await shoal(["run", "@last.failed", "--", WHOAMI]);
  assert.equal(r.status, 0);
  assert.deepEqual(r.stdout.trim().split("\n").sort(), ["127.0.1.2: 127.0.1.2", "127.0.1.4: 127.0.1.4"]);
});

test("run --forward-agent forwards the ssh-agent to every host's command (as ssh -A); without an agent it is a usage error", async (t) => {
  const socket = join(dir, "agent.sock");
  await startSshAgent(t, socket, [sshd.keyPath]);
  const check = "ssh-add -l >/dev/null && echo agent-here";
  let r = await shoal(["run", "@web", "--forward-agent", "--", check], { env: { SSH_AUTH_SOCK: socket } });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split("\n").sort(), [1, 2, 3, 4, 5].map((i) => `127.0.1.${i}: agent-here`));
  r = await shoal(["run", "@web", "--", check], { env: { SSH_AUTH_SOCK: socket } });
  assert.equal(r.status, 1, "without -A the commands find no agent");
  assert.match(r.stderr, /failed +exit 2: 127\.0\.1\.\[1-5\] \(5\)/);
  r = await shoal(["run", "@web", "--forward-agent", "--", check], { env: { SSH_AUTH_SOCK: "" } });
  assert.equal(r.status, 64);
  assert.match(r.stderr, /--forward-agent needs an ssh-agent: SSH_AUTH_SOCK is not set/);
});

test("run: an unreachable host exits 2 and is named in the summary", async () => {
  const r = await shoal(["run", "@web,@dead", "--", "true"]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^closed: +connection refused by 127\.0\.0\.1:1$/m);
  assert.match(r.stderr, /unreachable connection refused: closed \(1\)/);
  assert.match(r.stderr, /saved: @last\.ok @last\.failed @last\.unreachable/);
  // A state folder that cannot be written: said, and no set is listed as saved.
  const unsaved = await shoal(["run", "@dead", "--", "true"], { env: { SHOAL_STATE_DIR: join(dir, "bad.yml", "state") } });
  assert.equal(unsaved.status, 2);
  assert.match(unsaved.stderr, /^shoal: cannot save host sets: ENOTDIR/m);
  assert.doesNotMatch(unsaved.stderr, /saved:/);
  const t = await shoal(["run", "@db", "-t", "300ms", "--", "sleep 20"]);
  assert.equal(t.status, 2);
  assert.match(t.stderr, /timeout +command timed out after 300ms: 127\.0\.2\.\[1-2\] \(2\)/);
  // -t 0 is no timeout, as pssh's.
  const none = await shoal(["run", "@db", "-t", "0", "--", "sleep 0.5; echo done"]);
  assert.equal(none.status, 0, none.stderr);
  assert.match(none.stdout, /done/);
});

test("-b gathers identical outputs under a compact host range", async () => {
  const r = await shoal(["run", "@prod", "-b", "--", 'echo same; set -- $SSH_CONNECTION; case "$3" in 127.0.2.*) echo db;; esac']);
  assert.equal(r.status, 0);
  assert.equal(r.stdout, "---------------\n127.0.1.[1-5] (5)\n---------------\nsame\n---------------\n127.0.2.[1-2] (2)\n---------------\nsame\ndb\n");
});

test("--json writes NDJSON events with fixed kinds, then a summary", async () => {
  const r = await shoal(["run", "@db,@dead", "--json", "--", "echo hi"]);
  assert.equal(r.status, 2);
  const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; host?: string; kind?: string; data?: string; exitStatus?: number });
  const types = new Set(events.map((e) => e.type));
  for (const t of ["queued", "connecting", "connected", "stdout", "exit", "error", "done", "summary"]) assert.ok(types.has(t), t);
  assert.deepEqual(events.filter((e) => e.type === "error").map((e) => [e.host, e.kind]), [["closed", "refused"]]);
  assert.deepEqual(events.filter((e) => e.type === "stdout").map((e) => e.data), ["hi\n", "hi\n"]);
  const summary = events.at(-1)!;
  assert.equal(summary.type, "summary");
  assert.equal(summary.exitStatus, 2);
});

test("-o writes per-host stdout and stderr files; --stdin feeds every host", async () => {
  const out = join(dir, "out");
  const r = await shoal(["run", "@db", "--stdin", "-o", out, "--", "cat; echo err >&2"], { input: "from stdin\n" });
  assert.equal(r.status, 0, r.stderr);
  for (const h of ["127.0.2.1", "127.0.2.2"]) {
    assert.equal(await readFile(join(out, `${h}.stdout`), "utf8"), "from stdin\n");
    assert.equal(await readFile(join(out, `${h}.stderr`), "utf8"), "err\n");
  }
  // Output that is not UTF-8 (a tar, a Latin-1 log) is written as it came.
  const binary = join(dir, "out-binary");
  const b = await shoal(["run", "@db", "-o", binary, "--", "printf 'a\\377\\376b\\n'"]);
  assert.equal(b.status, 0, b.stderr);
  assert.deepEqual(await readFile(join(binary, "127.0.2.1.stdout")), Buffer.from([0x61, 0xff, 0xfe, 0x62, 0x0a]));
  const json = await shoal(["run", "@db", "--json", "--", "echo hi"]);
  const stdoutEvent = json.stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>).find((e) => e.type === "stdout")!;
  assert.deepEqual(Object.keys(stdoutEvent).sort(), ["data", "host", "time", "type"]);
});

test("-o that cannot be written is refused before connecting (status 64); a host file that cannot be written is said once, and the run goes on", async () => {
  const file = join(dir, "a-file");
  await writeFile(file, "");
  for (const [outDir, why] of [[file, "is not a folder"], [join(file, "below"), "not a directory"]] as const) {
    const r = await shoal(["run", "@db", "-o", outDir, "--", "echo ran"]);
    assert.equal(r.status, 64, r.stderr);
    assert.match(r.stderr, new RegExp(`Cannot write to --out-dir ${outDir}: .*${why}`));
    assert.equal(r.stdout, "", "nothing ran");
  }
  // A folder in the way of one host's output file.
  const out = join(dir, "out-blocked");
  await mkdir(join(out, "127.0.2.1.stdout"), { recursive: true });
  const r = await shoal(["run", "@db", "-o", out, "--", "echo ran"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /shoal: cannot write .*127\.0\.2\.1\.stdout: EISDIR/);
  assert.equal(await readFile(join(out, "127.0.2.2.stdout"), "utf8"), "ran\n");
});

test("--ask-pass asks before connecting; with no terminal to ask on, it is a usage error", async () => {
  // setsid: no controlling terminal, as under cron or CI.
  const r = spawnSync("setsid", ["-w", process.execPath, MAIN, "run", "@db", "-A", "--", "true"], { cwd: dir, encoding: "utf8", env: { ...process.env, SHOAL_STATE_DIR: join(dir, "state"), NO_COLOR: "1" }, timeout: 30_000 });
  assert.equal(r.status, 64, r.stderr);
  assert.match(r.stderr, /--ask-pass: Cannot ask "Password:": no terminal/);
  assert.doesNotMatch(r.stdout + r.stderr, /127\.0\.2\.1/, "no host was contacted");
});

test("Ctrl-C at the --ask-pass prompt ends shoal as Ctrl-C does (130), not as a usage error", async () => {
  // script gives shoal a terminal to ask on; Ctrl-C typed there is the prompt's to read.
  const child = spawn("script", ["-qec", `${process.execPath} ${MAIN} run @db -A -- true`, "/dev/null"], { cwd: dir, env: { ...process.env, SHOAL_STATE_DIR: join(dir, "state"), NO_COLOR: "1" } });
  let out = "";
  let typed = false;
  child.stdin.on("error", () => {});
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    if (!typed && /Password: /.test(out)) {
      typed = true;
      child.stdin.write("\x03");
    }
  });
  const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(status, 130, out);
  assert.doesNotMatch(out, /usage|--ask-pass: interrupted/i);
});

test("ping prints connect time and round trip per host", async () => {
  const r = await shoal(["ping", "@db"]);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^127\.0\.2\.1: ok {2}connect \d[\d.]*m?s {2}rtt \d+\.\d\dms$/m);
  // Names of other lengths: the colon follows the name, the padding comes after it, as run's lines.
  const mixed = await shoal(["ping", "closed,127.0.2.1"]);
  assert.match(mixed.stdout, /^closed: {4}unreachable/m);
  assert.match(mixed.stdout, /^127\.0\.2\.1: ok/m);
});

test("put and get without a TTY print one plain line per host", async () => {
  const local = join(dir, "file.txt");
  await writeFile(local, "payload\n");
  const remote = join(sshd.workDir, "cli-file.txt");
  let r = await shoal(["put", "127.0.2.1", local, remote]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^127\.0\.2\.1: put 1 file \(8 B\) in /);
  assert.equal(await readFile(remote, "utf8"), "payload\n");
  r = await shoal(["put", "127.0.2.1", local, remote]);
  // The bytes are those copied: an unchanged file moves none.
  assert.match(r.stdout, /put 0 files \(0 B\), 1 unchanged/);
  // -t 0 is no bound, as for run (it timed every host out at once).
  r = await shoal(["put", "127.0.2.1", "-t", "0", local, `${remote}.t0`]);
  assert.equal(r.status, 0, r.stderr);
  // An empty argument (an unset variable) is a usage error, not "here".
  for (const args of [["put", "@db", "", remote], ["put", "@db", local, ""], ["get", "@db", remote, ""], ["get", "@db", "", dir]]) {
    r = await shoal(args);
    assert.equal(r.status, 64, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /(LOCAL|REMOTE|LOCALDIR) is empty/);
  }
  const into = join(dir, "fetched");
  r = await shoal(["get", "@db", remote, into]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(await readFile(join(into, "127.0.2.2", "cli-file.txt"), "utf8"), "payload\n");
  r = await shoal(["put", "@db", join(dir, "missing"), remote]);
  assert.equal(r.status, 64);
});

test("unknown host keys are gathered into one table at the end; --accept-new trusts them", async () => {
  const kh = join(dir, "kh-empty");
  await writeFile(kh, "");
  let r = await shoal(["run", "@db", "--known-hosts", kh, "-i", join(dir, "noinv.yml"), "-H", "127.0.2.[1-2]", "-u", sshd.user, "-p", String(sshd.port), "--", "true"], {});
  assert.equal(r.status, 64); // the named inventory does not exist
  const inv2 = join(dir, "nokh.yml");
  await writeFile(inv2, `defaults: { user: ${sshd.user}, port: ${sshd.port}, identity_file: ${sshd.keyPath} }\nhosts: ["127.0.3.[1-3]"]\n`);
  r = await shoal(["run", "all", "-i", inv2, "--known-hosts", kh, "--", "true"]);
  assert.equal(r.status, 2);
  assert.equal(r.stderr.match(/KEY TYPE/g)?.length, 1);
  for (let i = 1; i <= 3; i++) assert.match(r.stderr, new RegExp(`127\\.0\\.3\\.${i} +ssh-ed25519 +${sshd.hostKeyFingerprint.replace(/[+/]/g, "\\$&")} +unknown`));
  assert.match(r.stderr, /hostkey +host key unknown: 127\.0\.3\.\[1-3\] \(3\)/);
  r = await shoal(["run", "all", "-i", inv2, "--known-hosts", kh, "--accept-new", "--", "true"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /Trusted 3 new host keys/);
  r = await shoal(["run", "all", "-i", inv2, "--known-hosts", kh, "--", "true"]);
  assert.equal(r.status, 0);
  assert.doesNotMatch(r.stderr, /KEY TYPE/);
  // A known_hosts that is a folder: refused before any host is tried; no stack trace.
  r = await shoal(["run", "all", "-i", inv2, "--known-hosts", dir, "--", "true"]);
  assert.equal(r.status, 64, r.stderr);
  assert.match(r.stderr, /Cannot read --known-hosts .*: it is not a file/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  // One that cannot be written: the run is fine, the accepted keys are lost, and that is said.
  const unwritable = "/proc/shoal-no-such-folder/known_hosts";
  r = await shoal(["run", "all", "-i", inv2, "--known-hosts", unwritable, "--accept-new", "--", "true"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`shoal: Cannot save the host keys accepted with accept-new to ${unwritable}: `));
  assert.doesNotMatch(r.stderr, /\n\s+at |\(node:\d+\)/);
});

test("Ctrl-C, or a SIGTERM, stops the remote commands and prints the partial summary", async () => {
  for (const [signal, said] of [["SIGINT", "interrupted"], ["SIGTERM", "terminated"]] as const) {
    let sent = false;
    const t0 = performance.now();
    const r = await shoal(["run", "@web", "--json", "--", "sleep 30"], {
      onStdout: (text, kill) => {
        if (!sent && (text.match(/"type":"connected"/g)?.length ?? 0) === 5) {
          sent = true;
          setTimeout(() => kill(signal), 200);
        }
      },
    });
    assert.ok(sent);
    assert.ok(performance.now() - t0 < 8000);
    assert.equal(r.status, 2, signal);
    assert.match(r.stderr, new RegExp(`${said}: stopping the remote commands`));
    assert.match(r.stderr, /killed +interrupted: 127\.0\.1\.\[1-5\] \(5\)/);
  }
});

test("Ctrl-C at a terminal (SIGINT to the whole process group) leaves proxy commands to shoal, which stops the remote commands through them", async () => {
  const relay = `'${process.execPath}' -e 'const s = require("net").connect(Number(process.argv[2]), process.argv[1]); process.stdin.pipe(s); s.pipe(process.stdout); s.on("error", () => process.exit(2));' %h %p`;
  const proxied = join(dir, "proxied.yml");
  await writeFile(proxied, `defaults: { user: ${sshd.user}, port: ${sshd.port}, identity_file: ${sshd.keyPath}, known_hosts: ${knownHosts}, proxy_command: "${relay.replace(/"/g, '\\"')}" }\nhosts: ["127.0.3.[1-3]"]\n`);
  // Its own process group, as a terminal's foreground job: the signal goes to every process in it.
  const child = spawn(process.execPath, [MAIN, "run", "all", "-i", proxied, "--json", "--", "sleep 31.4"], {
    env: { ...process.env, SHOAL_STATE_DIR: join(dir, "state"), NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
  await new Promise<void>((resolve) =>
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if ((stdout.match(/"type":"connected"/g)?.length ?? 0) === 3) resolve();
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  process.kill(-child.pid!, "SIGINT");
  assert.equal(await closed, 2, stderr);
  assert.match(stdout, /"type":"summary"/);
  const done = stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; result?: { state: string } }).filter((e) => e.type === "done");
  assert.deepEqual(done.map((e) => e.result!.state), ["killed", "killed", "killed"], stdout);
  // The remote commands were stopped (through the proxies, which the terminal's signal did not reach).
  const deadline = performance.now() + 5000;
  while (spawnSync("pgrep", ["-f", "sleep 31.4"]).status === 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(spawnSync("pgrep", ["-f", "sleep 31.4"]).status, 1, "no remote sleep left");
});

test("`| head`: when the reader of shoal's output goes away, the remote commands are stopped and shoal exits 141", async () => {
  // SIGPIPE ignored, so that no remote command ends by itself when its output goes nowhere.
  const child = spawn(process.execPath, [MAIN, "run", "@web", "--", "trap '' PIPE; echo start; sleep 0.3; echo more; exec sleep 33.1"], {
    cwd: dir,
    env: { ...process.env, SHOAL_STATE_DIR: join(dir, "state"), NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
  const started = performance.now();
  // Read the first line, then go away, as `head -1` does.
  await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
  child.stdout.destroy();
  assert.equal(await closed, 141, stderr);
  assert.ok(performance.now() - started < 15_000);
  const deadline = performance.now() + 5000;
  while (spawnSync("pgrep", ["-f", "sleep 33.1"]).status === 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(spawnSync("pgrep", ["-f", "sleep 33.1"]).status, 1, "the remote commands were stopped");
});

test("a proxy command that ignores TERM does not outlive shoal", async () => {
  const stubborn = join(dir, "stubborn.yml");
  await writeFile(stubborn, `defaults: { user: ${sshd.user}, port: ${sshd.port}, identity_file: ${sshd.keyPath}, known_hosts: ${knownHosts}, connect_timeout: 1, proxy_command: "trap '' TERM; sleep 44.9" }\nhosts: [127.0.3.9]\n`);
  const r = await shoal(["run", "all", "-i", stubborn, "--", "true"]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /timeout/);
  assert.equal(spawnSync("pgrep", ["-f", "sleep 44.9"]).status, 1, "killed when shoal exited");
});

test("`2>&1 | head -1` exits 141 too (stderr is the closed pipe as well); a hang-up stops the run and leaves no proxy behind", async () => {
  const piped = spawnSync("bash", ["-c", `'${process.execPath}' '${MAIN}' run @web -- "trap '' PIPE; echo start; sleep 0.3; seq 1 20000; exec sleep 51.4" 2>&1 | head -1 >/dev/null; echo "\${PIPESTATUS[0]}"`], {
    cwd: dir,
    env: { ...process.env, SHOAL_STATE_DIR: join(dir, "state"), NO_COLOR: "1" },
    encoding: "utf8",
    timeout: 30_000,
  });
  assert.equal(piped.stdout.trim(), "141", piped.stderr);
  const deadline = performance.now() + 5000;
  while (spawnSync("pgrep", ["-f", "sleep 51.4"]).status === 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(spawnSync("pgrep", ["-f", "sleep 51.4"]).status, 1);

  const hung = join(dir, "hung.yml");
  await writeFile(hung, `defaults: { user: ${sshd.user}, port: ${sshd.port}, identity_file: ${sshd.keyPath}, known_hosts: ${knownHosts}, connect_timeout: 30, proxy_command: "sleep 61.1" }\nhosts: [127.0.3.10]\n`);
  const child = spawn(process.execPath, [MAIN, "run", "all", "-i", hung, "--", "true"], { env: { ...process.env, SHOAL_STATE_DIR: join(dir, "state"), NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
  while (spawnSync("pgrep", ["-f", "sleep 61.1"]).status !== 0) await new Promise((resolve) => setTimeout(resolve, 50));
  child.kill("SIGHUP");
  assert.equal(await closed, 2);
  assert.equal(spawnSync("pgrep", ["-f", "sleep 61.1"]).status, 1, "the proxy went with the run");
});
