/**
 * The shell, driven as a person would: in a real terminal (tmux), typing and reading the screen.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runProcess } from "../fixtures/run-process.js";
import { promisify } from "node:util";
import { startTestbed } from "../../src/testbed/index.js";
import { shellQuote } from "../../src/internal/shell-quote.js";
import { startSshd } from "../fixtures/sshd.js";

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL("../../shoal.mjs", import.meta.url));
const TMUX = "/usr/bin/tmux";
const missing = !existsSync(TMUX);
if (missing && process.env["CI"] === "true") throw new Error("tmux is missing: the shell tests drive the shell through it (apt-get install tmux)");
if (missing) console.error("cli/shell.test: tmux is missing; these tests are SKIPPED");

/** A terminal with the shell in it. */
let terminals = 0;

class Terminal {
  readonly #socket = `shoal-shell-test-${process.pid}-${++terminals}`;
  readonly #session = "shell";

  async start(command: string): Promise<void> {
    await this.#tmux("new-session", "-d", "-s", this.#session, "-x", "160", "-y", "50", command);
  }

  /** Types text (literally), then the keys given by name (Enter, Tab, C-c, C-d, Up). */
  async type(text: string, ...keys: string[]): Promise<void> {
    if (text !== "") await this.#tmux("send-keys", "-t", this.#session, "-l", text);
    if (keys.length > 0) await this.#tmux("send-keys", "-t", this.#session, ...keys);
  }

  /** The whole screen, with what scrolled off. */
  async screen(): Promise<string> {
    const { stdout } = await this.#tmux("capture-pane", "-p", "-J", "-S", "-5000", "-t", this.#session);
    return stdout;
  }

  /** Where the screen's text ends now: `waitFor(pattern, mark)` looks only at what comes after. */
  async mark(): Promise<number> {
    return (await this.screen()).trimEnd().split("\n").length;
  }

  /** Waits until the screen matches (read again every 50 ms, as a person glances at it). */
  async waitFor(pattern: RegExp, since = 0, timeout = 20_000): Promise<RegExpMatchArray> {
    const deadline = performance.now() + timeout;
    for (;;) {
      const screen = (await this.screen()).split("\n").slice(Math.max(0, since - 1)).join("\n");
      const match = screen.match(pattern);
      if (match) return match;
      if (performance.now() > deadline) throw new Error(`Timed out waiting for ${pattern} on the screen:\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The process id of the command the terminal started (its shell, `sh -c`). */
  async pid(): Promise<number> {
    const { stdout } = await this.#tmux("display-message", "-p", "-t", this.#session, "#{pane_pid}");
    return Number(stdout.trim());
  }

  /** Closes the terminal, as closing its window does: what runs in it gets a hang-up. */
  async stop(): Promise<void> {
    await this.#tmux("kill-server").catch(() => {});
  }

  #tmux(...args: string[]) {
    return run(TMUX, ["-L", this.#socket, "-f", "/dev/null", ...args]);
  }
}

/** "812ms" or "1.52s" or "1m 3s" as milliseconds. */
function ms(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(text);
  if (!m) throw new Error(`Cannot read the duration ${text}`);
  return Number(m[1]) * (m[2] === "s" ? 1000 : 1);
}

/** A testbed, a state folder and a terminal, all stopped after the test; `shell` is the command line that starts the shell on the testbed. */
async function shellOnTestbed(t: TestContext, options: Parameters<typeof startTestbed>[0]) {
  const testbed = await startTestbed(options);
  const state = await mkdtemp(join(tmpdir(), "shoal-shell-state-"));
  const terminal = new Terminal();
  t.after(async () => {
    await terminal.stop();
    await testbed.stop();
    await rm(state, { recursive: true, force: true });
  });
  const shell = `env SHOAL_STATE_DIR=${shellQuote(state)} NO_COLOR=1 ${shellQuote(process.execPath)} ${shellQuote(MAIN)} shell -i ${shellQuote(testbed.inventoryFile)}`;
  return { testbed, state, terminal, shell };
}

test("shoal shell: groups, use, live and gathered runs, reused connections, :failed, Ctrl-C, !cmd, completion, history, Ctrl-D", { skip: missing, timeout: 180_000 }, async (t) => {
  const { testbed, state, terminal, shell: shellCommand } = await shellOnTestbed(t, { groups: { web: 50, app: 50, db: 3 }, faults: { db02: { authFail: true } } });
  const shell = `${shellCommand} --connect-timeout 5`;
  await terminal.start(`${shell}; echo shell-exited-$?; sleep 60`);

  // On start: the groups with their host counts.
  await terminal.waitFor(/@web\s+50 hosts\s+web\[01-50\]/);
  await terminal.waitFor(/@db\s+3 hosts/);
  await terminal.waitFor(/shoal no hosts> $/m);
  // A shell command typed without its colon, before any host is chosen: said how to write it.
  await terminal.type("help", "Enter");
  await terminal.waitFor(/No hosts selected to run "help" on; shell commands start with ":" \(:help\), and use @group selects hosts/);

  // A command on 50 hosts, then again on the open connections: the second at most half the first
  // (3.5x faster on a quiet machine; the connection count below is what proves the reuse). The command is `true`: what is measured is the connection, not the command. Between
  // commands, as a person pauses, the testbed readies its warm shells again, so the measure is of
  // the client's handshakes, not of this process forking fifty shells in a row. This machine is
  // shared and noisy, so the second command runs twice and the better time counts; and should the
  // ratio still miss, the measure is taken once more on fifty other hosts (fresh connections).
  const measure = async (group: string): Promise<{ first: number; second: number }> => {
    await terminal.type(`use @${group}`, "Enter");
    await terminal.waitFor(new RegExp(`50 hosts: ${group}\\[01-50\\]`));
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      await testbed.warm();
      const mark = await terminal.mark();
      await terminal.type("true", "Enter");
      times.push(ms((await terminal.waitFor(/50 hosts in (\S+): ok 50/, mark))[1]!));
    }
    const [first, ...later] = times as [number, number, number];
    t.diagnostic(`50 hosts (@${group}): first command ${first} ms, then ${later.join(" and ")} ms (ratio ${(first / Math.min(...later)).toFixed(1)})`);
    return { first, second: Math.min(...later) };
  };
  let timing = await measure("web");
  if (timing.second > timing.first / 2) timing = await measure("app");
  // The connections were reused: each host accepted one TCP connection for its three commands.
  const connections = testbed.hosts.filter((h) => h.group === "web").map((h) => testbed.connectionCount(h.name));
  assert.deepEqual([...new Set(connections)], [1]);
  assert.ok(timing.second <= timing.first / 2, `the second command took ${timing.second} ms, more than half the first's ${timing.first} ms`);
  await terminal.type("use @web", "Enter");
  await terminal.waitFor(/50 hosts: web\[01-50\][\s\S]*50 hosts: web\[01-50\]/);
  // Live output, one line per host, a status line per host, the summary.
  let mark = await terminal.mark();
  await terminal.type("hostname", "Enter");
  await terminal.waitFor(/50 hosts in \S+: ok 50/, mark);
  assert.match(await terminal.screen(), /^web17:\s*web17$/m);
  assert.match(await terminal.screen(), /^web17\s+ok\s+\S+$/m);

  // Gathered output.
  await terminal.type(":gather", "Enter");
  await terminal.waitFor(/gathered output on/);
  await terminal.type("echo same-everywhere", "Enter");
  // Gathered, then the summary: no line per host that is fine (it would undo the gathering).
  const gathered = await terminal.waitFor(/web\[01-50\] \(50\)\n-+\nsame-everywhere\n([\s\S]*?)50 hosts in/);
  assert.doesNotMatch(gathered[1]!, /web\d+ +ok/);
  await terminal.type(":gather", "Enter");
  await terminal.waitFor(/gathered output off/);

  // A failing host, then :failed selects it.
  await terminal.type("use @db", "Enter");
  await terminal.waitFor(/3 hosts: db\[01-03\]/);
  await terminal.type("echo db-side", "Enter");
  await terminal.waitFor(/3 hosts in \S+: ok 2, auth 1/);
  await terminal.type(":failed", "Enter");
  await terminal.waitFor(/1 host: db02\n.*shoal @last\.failed \(1\)> $/m);

  // Ctrl-C cancels the running command and the shell stays.
  await terminal.type("use web0[1-5]", "Enter");
  await terminal.waitFor(/5 hosts: web\[01-05\]/);
  await terminal.type("echo started; sleep 30", "Enter");
  await terminal.waitFor(/web05: started/);
  await terminal.type("", "C-c");
  await terminal.waitFor(/cancelling[\s\S]*5 hosts in \S+: ok 0, killed 5/);
  await terminal.type("echo still-here", "Enter");
  await terminal.waitFor(/still-here[\s\S]*5 hosts in \S+: ok 5/);

  // :put and :get, on the selected hosts.
  const local = join(state, "notes.txt");
  await writeFile(local, "from the shell\n");
  mark = await terminal.mark();
  await terminal.type(`:put ${local} notes.txt`, "Enter");
  await terminal.waitFor(/:put [^\n]*notes\.txt\n[\s\S]*5 hosts in \S+: ok 5/, mark);
  for (const name of ["web01", "web05"]) assert.equal(await readFile(join(testbed.host(name).dir, "notes.txt"), "utf8"), "from the shell\n");
  mark = await terminal.mark();
  await terminal.type(`:get notes.txt ${join(state, "fetched")}`, "Enter");
  await terminal.waitFor(/:get notes\.txt [^\n]*\n[\s\S]*5 hosts in \S+: ok 5/, mark);
  assert.equal(await readFile(join(state, "fetched", "web03", "notes.txt"), "utf8"), "from the shell\n");
  // One fleet serves every selection: @web, then web0[1-5] (its command cancelled), :put and :get all
  // ran on the connections opened by the first command; no web host was connected to twice.
  assert.deepEqual([...new Set(testbed.hosts.filter((h) => h.group === "web").map((h) => testbed.connectionCount(h.name)))], [1]);

  // !cmd runs locally.
  await terminal.type("!echo local-$((6*7))", "Enter");
  await terminal.waitFor(/^local-42$/m);

  // Tab completes groups and shell commands.
  await terminal.type("use @d", "Tab");
  await terminal.waitFor(/> use @db$/m);
  await terminal.type("", "Enter");
  await terminal.waitFor(/3 hosts: db\[01-03\]\n.*shoal @db \(3\)> $/m);
  await terminal.type(":gr", "Tab");
  await terminal.waitFor(/> :groups *$/m);
  await terminal.type("", "Enter");
  // The list and the next prompt first: keys typed while it prints would land inside it.
  await terminal.waitFor(/@backend .*\n.*shoal @db \(3\)> $/m);

  // Ctrl-C at the prompt drops the line being typed, as in bash.
  await terminal.type("half a comm", "C-c");
  await terminal.waitFor(/> half a comm\^C\n.*shoal @db \(3\)> $/m);

  // Ctrl-D leaves.
  await terminal.type("", "C-d");
  await terminal.waitFor(/shell-exited-0/);

  // History across sessions: a new shell offers the last line on Up.
  const history = await readFile(join(state, "shell_history"), "utf8");
  assert.match(history, /^use @web$/m);
  assert.match(history, /^:groups$/m);
  await terminal.stop();
  const again = new Terminal();
  t.after(() => again.stop());
  await again.start(`${shell}; echo shell-exited-$?; sleep 60`);
  await again.waitFor(/shoal no hosts> $/m);
  await again.type("", "Up");
  await again.waitFor(/shoal no hosts> :groups$/m);
  // `exit` alone leaves too (on the hosts it would only end each remote shell).
  await again.type("", "C-u");
  await again.type("exit", "Enter");
  await again.waitFor(/shell-exited-0/);
});

/** `shoal shell` with its lines from a pipe, as a script runs it: what it printed, and its exit status. */
function shellScript(args: string[], lines: string, options: { env?: Record<string, string>; cwd?: string } = {}): Promise<{ status: number | null; out: string; err: string }> {
  return runProcess(process.execPath, [MAIN, "shell", ...args], { input: lines, cwd: options.cwd, env: { ...process.env, NO_COLOR: "1", ...options.env } }).then(({ status, stdout, stderr }) => ({ status, out: stdout, err: stderr }));
}

/** Polls `check` every 50 ms until it holds, or fails after `ms`. */
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Processes on this machine (where sshd runs the remote commands) whose command line starts with `prefix`. */
function processes(prefix: string): number {
  const r = spawnSync("pgrep", ["-c", "-f", `^${prefix.replace(/\./g, "\\.")}`], { encoding: "utf8" });
  return Number(r.stdout.trim() || 0);
}

/** Files under a folder, however deep. */
function filesUnder(dir: string): string[] {
  return spawnSync("find", [dir, "-type", "f"], { encoding: "utf8" }).stdout.split("\n").filter((l) => l !== "");
}

test("shoal shell: a stop signal (SIGTERM, a hang-up, Ctrl-C with lines from a pipe) stops the running command on every host, leaves no spilled output, and ends the shell with 128 + its number", { skip: missing, timeout: 180_000 }, async (t) => {
  const sshd = await startSshd({ listenAll: true });
  const dir = await mkdtemp(join(tmpdir(), "shoal-shell-stop-"));
  const spill = join(dir, "tmp");
  await mkdir(spill);
  const terminals: Terminal[] = [];
  t.after(async () => {
    for (const terminal of terminals) await terminal.stop();
    await sshd.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const inventory = join(dir, "real.yml");
  await writeFile(inventory, `defaults: { user: ${sshd.user}, port: ${sshd.port}, identity_file: ${sshd.keyPath} }\ngroups:\n  r:\n    hosts: ["127.0.92.[1-3]"]\n`);
  const env = { SHOAL_STATE_DIR: join(dir, "state"), NO_COLOR: "1", TMPDIR: spill };
  const args = ["shell", "-i", inventory, "--no-strict-host-keys", "@r"];
  // Gathered, so that the output (past the memory budget) is spilled to files while the command runs.
  const line = (marker: string) => `head -c 300000 /dev/zero | tr '\\0' a; ${marker}`;
  const started = async (marker: string) => {
    await until(`the three remote "${marker}" run`, () => processes(marker) === 3);
    await until("their output is spilled", () => filesUnder(spill).length >= 3);
  };
  const stopped = async (marker: string) => {
    await until(`no remote "${marker}" is left`, () => processes(marker) === 0, 10_000);
    assert.deepEqual(filesUnder(spill), [], "no spilled output left behind");
  };

  // Lines from a pipe: Ctrl-C (the terminal signals the whole job) and a SIGTERM.
  for (const [signal, status] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    const marker = `sleep 81.${process.pid}${status}`;
    const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
    child.stdin.write(`:gather\n${line(marker)}\necho must-not-run\n`);
    await started(marker);
    child.kill(signal);
    assert.equal(await closed, status, out);
    await stopped(marker);
    assert.match(out, new RegExp(`${signal === "SIGINT" ? "interrupted" : "terminated"}: stopping the remote commands`));
    assert.match(out, /3 hosts in \S+: ok 0, killed 3/);
    assert.doesNotMatch(out, /must-not-run/);
  }

  // At a terminal: a SIGTERM, then the terminal closing (a hang-up).
  const shell = `env ${Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}`).join(" ")} ${shellQuote(process.execPath)} ${shellQuote(MAIN)} ${args.map(shellQuote).join(" ")}`;
  for (const how of ["SIGTERM", "hang-up"] as const) {
    const marker = `sleep 82.${process.pid}${how === "SIGTERM" ? 1 : 2}`;
    const terminal = new Terminal();
    terminals.push(terminal);
    await terminal.start(`${shell}; echo shell-exited-$?; sleep 60`);
    await terminal.waitFor(/shoal @r \(3\)> $/m);
    await terminal.type(":gather", "Enter");
    await terminal.type(line(marker), "Enter");
    await started(marker);
    const node = Number(spawnSync("pgrep", ["-P", String(await terminal.pid()), "-x", "node"], { encoding: "utf8" }).stdout.trim());
    assert.ok(node > 0);
    if (how === "SIGTERM") {
      process.kill(node, "SIGTERM");
      await terminal.waitFor(/terminated: stopping the remote commands[\s\S]*3 hosts in \S+: ok 0, killed 3[\s\S]*shell-exited-143/);
    } else {
      await terminal.stop();
      await until("the shell has ended", () => spawnSync("kill", ["-0", String(node)]).status !== 0, 10_000);
    }
    await stopped(marker);
  }
});

test("shoal shell: Ctrl-C drops the lines typed while the command ran", { skip: missing, timeout: 60_000 }, async (t) => {
  const { terminal, shell } = await shellOnTestbed(t, { groups: { db: 3 } });
  await terminal.start(`${shell} @db; sleep 60`);
  await terminal.waitFor(/shoal @db \(3\)> $/m);
  await terminal.type("echo started; sleep 20", "Enter");
  await terminal.waitFor(/db03: started/);
  await terminal.type("echo TYPEAHEAD-RAN", "Enter");
  await terminal.type("echo again", "Enter", "C-c");
  await terminal.waitFor(/stopping the remote commands \(2 lines typed ahead dropped\)[\s\S]*3 hosts in \S+: ok 0, killed 3/);
  const mark = await terminal.mark();
  await terminal.type("echo next", "Enter");
  await terminal.waitFor(/db01: next[\s\S]*3 hosts in \S+: ok 3/, mark);
  assert.doesNotMatch(await terminal.screen(), /^db0\d: (TYPEAHEAD-RAN|again)$/m);
});

/** A small testbed (web02 refuses every login) and a folder for one test's state. */
async function scriptBed(t: { after(fn: () => Promise<void>): void }) {
  const testbed = await startTestbed({ groups: { web: 2, db: 3 }, faults: { web02: { authFail: true } } });
  const dir = await mkdtemp(join(tmpdir(), "shoal-shell-script-"));
  t.after(async () => {
    await testbed.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return { testbed, dir, env: { SHOAL_STATE_DIR: join(dir, "state") }, inv: ["-i", testbed.inventoryFile] };
}

test("shoal shell with lines from a pipe exits as shoal run would for the last run, 64 once a line was refused; its history is the user's alone", async (t) => {
  const { dir, env, inv } = await scriptBed(t);
  let r = await shellScript(inv, "use @db\nexit 3\nuse @nope\n", { env });
  assert.match(r.out, /3 hosts in \S+: ok 0, failed 3[\s\S]*Unknown group "@nope"/);
  assert.equal(r.status, 64, r.out);
  r = await shellScript(inv, "use @db\nexit 3\n", { env });
  assert.equal(r.status, 1, r.out);
  r = await shellScript(inv, "use @db\nexit 3\ntrue\n", { env });
  assert.equal(r.status, 0, r.out);
  r = await shellScript(inv, "use web[01-02]\ntrue\n", { env });
  assert.match(r.out, /2 hosts in \S+: ok 1, auth 1/);
  assert.equal(r.status, 2, r.out);
  r = await shellScript(inv, "use @db\n:gater\ntrue\n", { env });
  assert.equal(r.status, 64, r.out);

  // `!cmd` lines can hold secrets: created 0600, and an older one readable by others closed.
  const history = join(dir, "state", "shell_history");
  assert.equal((await stat(history)).mode & 0o777, 0o600);
  await chmod(history, 0o644);
  await shellScript(inv, "use @db\n", { env });
  assert.equal((await stat(history)).mode & 0o777, 0o600);
});

test("shoal shell: -t 0 and :timeout 0s are no bound and --connect-timeout 0 is refused, as for shoal run; forks are the inventory's, fitted under the open-file limit", async (t) => {
  const { testbed, dir, env, inv } = await scriptBed(t);
  let r = await shellScript([...inv, "-t", "0", "db01"], "sleep 0.2; echo hi\n", { env });
  assert.match(r.out, /db01: hi[\s\S]*1 host in \S+: ok 1/);
  r = await shellScript(inv, "use db01\n:timeout 0s\nsleep 0.2; echo hi\n", { env });
  assert.match(r.out, /command timeout: none[\s\S]*1 host in \S+: ok 1/);
  r = await shellScript([...inv, "--connect-timeout", "0"], "", { env });
  assert.equal(r.status, 64);
  assert.match(r.err, /Invalid connect timeout: it must be more than 0, got "0"/);

  const forked = join(dir, "forks.yml");
  await writeFile(forked, (await readFile(testbed.inventoryFile, "utf8")).replace(/^defaults:\n/m, "defaults:\n  forks: 5000\n"));
  const limited = (args: string[], lines: string) =>
    new Promise<{ status: number | null; err: string }>((resolve) => {
      const child = spawn("/bin/sh", ["-c", `ulimit -n 512 && exec ${shellQuote(process.execPath)} ${shellQuote(MAIN)} shell ${args.map(shellQuote).join(" ")}`], { env: { ...process.env, ...env, NO_COLOR: "1" }, stdio: ["pipe", "ignore", "pipe"] });
      let err = "";
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      child.on("close", (status) => resolve({ status, err }));
      child.stdin.end(lines);
    });
  let l = await limited(["-i", forked], "use @db\ntrue\n");
  assert.equal(l.status, 0, l.err);
  assert.match(l.err, /shoal: forks 5000 needs about \d+ open files but ulimit -n is 512: running \d+ hosts at a time/);
  l = await limited([...inv, "-f", "5000"], "");
  assert.match(l.err, /shoal: forks 5000 needs about \d+ open files but ulimit -n is 512/);
});

test("shoal shell shows a command's output and keeps none: nothing spilled stays on disk between commands", async (t) => {
  const { dir, env, inv } = await scriptBed(t);
  const spill = join(dir, "tmp");
  await mkdir(spill);
  // Past the 64 KiB a host may keep in memory: output kept would be spilled to a file.
  const r = await shellScript(inv, "use @db\nhead -c 300000 /dev/zero | tr '\\0' a | fold -w 100\n!echo spill-files: $(find \"$TMPDIR\" -type f | wc -l)\n", { env: { ...env, TMPDIR: spill } });
  assert.match(r.out, /3 hosts in \S+: ok 3/);
  assert.match(r.out, /^spill-files: 0$/m);
});

test("shoal shell without an inventory takes the names it is given as hosts; with one, says what it can do about an unknown name", async (t) => {
  const { testbed, dir, env, inv } = await scriptBed(t);
  // ~/.ssh/config says how to reach the testbed's addresses; db01 and db02 (web02 refuses logins).
  const home = join(dir, "home");
  await mkdir(join(home, ".ssh"), { recursive: true });
  await writeFile(join(home, ".ssh", "config"), `Host 127.*\n  Port ${testbed.port}\n  User ${testbed.user}\n  IdentityFile ${testbed.identityFile}\n`);
  const first = testbed.host("db01").address;
  const last = Number(first.split(".")[3]);
  const both = `${first.replace(/\d+$/, "")}[${last}-${last + 1}]`;
  let r = await shellScript(["--no-strict-host-keys", first], `echo one\nuse ${both}\necho two\n`, { env: { ...env, HOME: home }, cwd: home });
  assert.match(r.out, /No inventory \(none at [^)]*\): the names you select are hosts/);
  assert.match(r.out, /1 host in \S+: ok 1[\s\S]*2 hosts: [\s\S]*2 hosts in \S+: ok 2/);
  assert.equal(r.status, 0, r.out);
  r = await shellScript(inv, "use nosuch01\n", { env });
  assert.match(r.out, /Unknown host nosuch01: not in the inventory \S+ \(the shell takes other names only when started without an inventory\)/);
  assert.equal(r.status, 64);
});
