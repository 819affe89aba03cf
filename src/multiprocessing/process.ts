/**
 * `Process`: a function run in a new OS process (Python's `multiprocessing.Process`, spawn start
 * method). The child is `child_process.fork` of a tiny bootstrap (`bootstrap.ts`) that loads the
 * target (an exported module function, or a self-contained function shipped by its source; see
 * `internal/task.ts`), rebuilds the arguments and calls it.
 *
 *   const p = new Process({ target: f, args: ["bob"] });
 *   p.start();
 *   await p.join();
 *   p.exitcode   // 0; 1 after an uncaught error; -15 after SIGTERM
 *
 * Arguments cross by `v8.serialize`; shoal's queues, locks and connections inside them arrive as
 * working objects (a `Connection` moves to the child: its socket is passed over the fork channel).
 * An argument that cannot cross makes `start()` throw at once, naming it.
 *
 * A subclass may override `run()` instead of passing a target. It must be exported from its module
 * under its class name; in the child it is rebuilt without running its constructor (as Python
 * unpickles it), with the parent's public fields copied over, so keep its state in public fields.
 */
import { fork, type ChildProcess } from "node:child_process";
import { constants } from "node:os";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { serialize } from "node:v8";
import { encodeForTransfer } from "../internal/codec.js";
import type { Socket } from "node:net";
import { readFileSync } from "node:fs";
import { toTaskRef, type TaskFunction, type TaskRef } from "../internal/task.js";
import { inheritedExecArgv } from "../internal/inherited-exec-argv.js";
import { checkOptions, checkSignal, checkTimeout, describe, type WaitOptions } from "../internal/options.js";
import { within } from "../internal/within.js";
import { ProcessError } from "./errors.js";
import { collectingConnections, detachSocket } from "./handles.js";
import { collectingModules } from "./transfer-modules.js";
import type { Connection } from "./connection.js";
import { RUNNING, type StartMessage, type SubclassSpec } from "./bootstrap-protocol.js";
import { ParentProcess } from "./parent-process.js";
import { getExecutable } from "./executable.js";

const BOOTSTRAP = fileURLToPath(new URL("./bootstrap.js", import.meta.url));

/**
 * `process[kHoldOpen]()` keeps this process alive until the returned function is called, for a
 * daemon child that would not (`wait()` uses it). @internal
 */
export const kHoldOpen: unique symbol = Symbol("shoal.holdOpen");
const NOTHING_HELD = (): void => undefined;

/** Options of `new Process`. */
export interface ProcessOptions<F extends TaskFunction = TaskFunction> {
  /** What to run: an exported module function, a self-contained function, or `task(url, name)`. */
  target?: F | TaskRef<F> | undefined;
  /** The target's arguments (structured-cloneable, shoal objects allowed). */
  args?: Parameters<F> | readonly unknown[] | undefined;
  /** Default `Process-N` (`Process-1:2` for the second child of a child; `Worker-N` for a subclass `Worker`). */
  name?: string | undefined;
  /** A daemon child is killed when its parent exits, and may not start children. Default: the parent's. */
  daemon?: boolean | undefined;
  /** Node flags of the child (default: this process's, without test-runner and inspector flags). */
  execArgv?: readonly string[] | undefined;
  /** The child's environment (default: this process's). */
  env?: NodeJS.ProcessEnv | undefined;
}

type State = "initial" | "started" | "closed";

let childCounter = 0;
const children = new Set<Process>();
const daemonChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Identity of this process: name, authkey, daemon flag, position in the tree. @internal */
export interface Self {
  name: string;
  authkey: Buffer;
  daemon: boolean;
  identity: number[];
  parent: { pid: number; name: string } | null;
}

const self: Self = { name: "MainProcess", authkey: randomBytes(32), daemon: false, identity: [], parent: null };

/** Called by the bootstrap in a child, before anything else. @internal */
export function adoptIdentity(identity: Self): void {
  Object.assign(self, identity);
  current = undefined;
}


let spare: { child: ChildProcess; key: string } | undefined;
const SPARE_DELAY_MS = 50;

/**
 * A child running the bootstrap, waiting for its start message. Forking the next one right after a
 * start (a warm spare, like Python's forkserver) takes Node's boot time (~50 ms) off the next
 * `start()`. The spare is used only if the Node binary, flags, environment and working directory
 * are still those it was started with; it holds nothing open, and dies with this process.
 * `SHOAL_SPARE_PROCESS=0` turns it off.
 */
function spareKey(execArgv: string[], env: NodeJS.ProcessEnv): string {
  return JSON.stringify([getExecutable(), execArgv, env, process.cwd()]);
}

function hasSpare(execArgv: string[], env: NodeJS.ProcessEnv): boolean {
  return (
    spare !== undefined &&
    spare.key === spareKey(execArgv, env) &&
    spare.child.exitCode === null &&
    spare.child.signalCode === null &&
    spare.child.connected
  );
}

function spawnChild(execArgv: string[], env: NodeJS.ProcessEnv, custom: boolean, modules: string[]): ChildProcess {
  let child: ChildProcess;
  let cold = false;
  if (spare !== undefined && hasSpare(execArgv, env)) {
    child = spare.child;
    spare = undefined;
    daemonChildren.delete(child);
    child.ref();
    (child.channel as { ref?: () => void } | undefined)?.ref?.();
  } else {
    child = forkBootstrap(execArgv, env, false, modules);
    cold = true;
  }
  if (!custom && process.env.SHOAL_SPARE_PROCESS !== "0" && spare === undefined) {
    const forkSpare = (): void => {
      if (spare !== undefined) return;
      // Keyed now: the child starts in the working directory of this moment, maybe not the start's.
      const key = spareKey(execArgv, env);
      const next = forkBootstrap(execArgv, env, true);
      next.on("error", () => undefined);
      next.unref();
      (next.channel as { unref?: () => void } | undefined)?.unref?.();
      installExitHook();
      daemonChildren.add(next);
      spare = { child: next, key };
      next.once("exit", () => {
        daemonChildren.delete(next);
        if (spare?.child === next) spare = undefined;
      });
    };
    // After a cold child's boot, and a little later still: its first calls to this process (the
    // connection to the owner of its queue, the handshake) would share the CPU with a booting spare.
    if (cold) afterBoot(child, () => setTimeout(forkSpare, SPARE_DELAY_MS).unref());
    // Forked a little later, so that it does not slow down the child just started.
    else setTimeout(forkSpare, SPARE_DELAY_MS).unref();
  }
  return child;
}

/**
 * Runs `then` once a cold child has booted (it says so before running its target), or has exited.
 * A spare booting beside it would take CPU from its boot: on two cores, a cold start took 210 ms
 * with the spare forked 50 ms in, 145 ms without.
 */
function afterBoot(child: ChildProcess, then: () => void): void {
  const done = (): void => {
    child.off("message", onMessage);
    child.off("exit", done);
    then();
  };
  const onMessage = (message: unknown): void => {
    if (message === RUNNING) done();
  };
  child.on("message", onMessage);
  child.once("exit", done);
}

function forkBootstrap(execArgv: string[], env: NodeJS.ProcessEnv, asSpare = false, modules: string[] = []): ChildProcess {
  return fork(BOOTSTRAP, asSpare ? ["--spare"] : ["--preload", ...modules], {
    execPath: getExecutable(),
    serialization: "advanced",
    stdio: ["inherit", "inherit", "inherit", "ipc"],
    execArgv,
    env,
  });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Python terminates daemonic children at exit; Node would leave them running.
  process.on("exit", () => {
    for (const child of daemonChildren) child.kill("SIGTERM");
  });
}

let makeSelf: () => Process;
let adoptStarted: (child: ChildProcess, name: string) => Process;
let adoptAsSelf: (instance: Process) => void;

/** A process running a function (or an overridden `run()`). */
export class Process {
  #name: string;
  #daemon: boolean;
  #authkey: Buffer;
  #target: TaskFunction | TaskRef | undefined;
  #args: readonly unknown[];
  #execArgv: readonly string[] | undefined;
  #env: NodeJS.ProcessEnv | undefined;
  #state: State = "initial";
  #child: ChildProcess | null = null;
  #pid: number | null = null;
  #exitcode: number | null = null;
  #sentinel: Promise<void> | undefined;
  #settle: (() => void) | undefined;
  #isSelf = false;
  #identity: number[];
  /** Whether the child does not keep this process alive (a daemon's), and how many waits hold it. */
  #unrefed = false;
  #holds = 0;

  static {
    makeSelf = (): Process => {
      const me = new Process({ name: self.name });
      childCounter -= 1;
      me.#isSelf = true;
      return me;
    };
    adoptAsSelf = (instance: Process): void => {
      instance.#isSelf = true;
    };
    adoptStarted = (child: ChildProcess, name: string): Process => {
      const adopted = new Process({ name, daemon: true });
      adopted.#state = "started";
      children.add(adopted);
      adopted.#sentinel = new Promise<void>((resolve) => (adopted.#settle = resolve));
      adopted.#watch(child);
      return adopted;
    };
  }

  constructor(options: ProcessOptions = {}) {
    checkProcessOptions(options, "Process");
    checkSpawnOptions(options, "Process");
    const { target, args = [], name, daemon, execArgv, env } = options;
    this.#target = target;
    this.#args = args;
    this.#execArgv = execArgv;
    this.#env = env;
    this.#identity = nextChildIdentity();
    // Python names an instance of a subclass after its class: Worker-1.
    this.#name = name ?? `${new.target.name || "Process"}-${this.#identity.join(":")}`;
    this.#daemon = daemon ?? self.daemon;
    this.#authkey = self.authkey;
  }

  /** Runs the target with the arguments; override it in a subclass instead of passing a target. */
  async run(): Promise<void> {
    const target = this.#target;
    if (target === undefined) return;
    if (typeof target !== "function") throw new TypeError("Process.run: the target is a task reference; only the child loads it");
    await (target as (...args: unknown[]) => unknown)(...this.#args);
  }

  /**
   * Starts the child. Throws `TypeError` at once when the target or an argument cannot be sent to
   * another process (naming it), and `ProcessError` on a second start or from a daemon process.
   */
  start(): void {
    if (this.#isSelf) throw new ProcessError("Cannot start a process: it is the current process");
    if (this.#state === "closed") throw new RangeError(`Cannot start ${this.#name}: process object is closed`);
    if (this.#state !== "initial") throw new ProcessError(`Cannot start ${this.#name}: a process can only be started once`);
    if (self.daemon) throw new ProcessError(`Cannot start ${this.#name}: daemonic processes are not allowed to have children`);
    const custom = this.#execArgv !== undefined || this.#env !== undefined;
    const execArgv = [...(this.#execArgv ?? inheritedExecArgv())];
    const env = this.#env ?? process.env;
    // Arguments first: one that cannot cross fails here, before anything is started.
    const encoded = this.#encodeArguments();
    let child: ChildProcess | undefined;
    if (!hasSpare(execArgv, env)) {
      // A cold start: fork now, so that Node boots (and loads the modules the arguments need)
      // while this process finishes the start message (finding the target's module takes a while).
      child = spawnChild(execArgv, env, custom, encoded.modules);
    }
    let prepared: { message: StartMessage; sockets: Socket[] };
    try {
      prepared = this.#prepare(encoded);
    } catch (error) {
      child?.kill("SIGKILL");
      throw error;
    }
    child ??= spawnChild(execArgv, env, custom, encoded.modules);
    this.#state = "started";
    children.add(this);
    this.#sentinel ??= new Promise<void>((resolve) => (this.#settle = resolve));
    this.#launch(child, prepared.message, prepared.sockets);
  }

  #launch(child: ChildProcess, message: StartMessage, sockets: Socket[]): void {
    this.#watch(child);
    if (this.#daemon) {
      child.unref();
      this.#unrefed = true;
    }
    let unsent = 1 + sockets.length;
    const sent = (): void => {
      if (--unsent === 0) (child.channel as { unref?: () => void } | undefined)?.unref?.();
    };
    child.send(message, sent);
    sockets.forEach((socket, index) => child.send({ handle: index }, socket, { keepOpen: false }, sent));
  }

  /** Follows a started child: its pid, its exit, and for a daemon, its end at this process's exit. */
  #watch(child: ChildProcess): void {
    this.#child = child;
    this.#pid = child.pid ?? null;
    child.once("exit", (code, signal) => {
      this.#exitcode = code ?? (signal !== null ? -(constants.signals[signal] ?? 0) : null);
      daemonChildren.delete(child);
      children.delete(this);
      this.#settle?.();
    });
    child.once("error", (error) => {
      // fork failed (e.g. EAGAIN): report it as the child's death.
      if (this.#exitcode === null) this.#exitcode = 1;
      process.emitWarning(`${this.#name} could not run: ${error.message}`);
      children.delete(this);
      this.#settle?.();
    });
    child.on("error", () => undefined);
    if (this.#daemon) {
      installExitHook();
      daemonChildren.add(child);
    }
  }

  #encodeArguments(): { payload: Buffer; connections: Connection[]; modules: string[] } {
    const withFields = this.#overridesRun();
    const { value: collected, modules } = collectingModules(() =>
      collectingConnections(() => {
        const args = encodeForTransfer(this.#args, "process", `${this.#name} args`);
        const fields = withFields ? encodeForTransfer(ownFields(this), "process", `${this.#name} field`) : undefined;
        try {
          return serialize({ args, fields });
        } catch (error) {
          throw new TypeError(`${this.#name} args: cannot be serialized: ${(error as Error)?.message ?? String(error)}`, { cause: error });
        }
      }),
    );
    return { payload: collected.value, connections: collected.connections, modules };
  }

  #overridesRun(): boolean {
    const ctor = this.constructor as typeof Process;
    return ctor !== Process && ctor.prototype.run !== Process.prototype.run;
  }

  #prepare(encoded: { payload: Buffer; connections: Connection[] }): { message: StartMessage; sockets: Socket[] } {
    let subclass: SubclassSpec | undefined;
    let target: TaskRef | undefined;
    if (this.#overridesRun()) {
      subclass = subclassSpec(this.constructor as typeof Process, this);
    } else if (this.#target !== undefined) {
      target = targetRef(this.#target as TaskFunction, `${this.#name} target`);
    }
    const { payload: value, connections } = encoded;
    const sockets = connections.map((conn) => detachSocket(conn, `${this.#name} args`));
    const message: StartMessage = {
      kind: "start",
      self: {
        name: this.#name,
        authkey: this.#authkey,
        daemon: this.#daemon,
        identity: this.#identity,
        parent: { pid: process.pid, name: self.name },
      },
      target,
      subclass,
      payload: value,
      sockets: sockets.length,
    };
    return { message, sockets };
  }

  /**
   * Waits until the process ends, or `timeout` milliseconds (then it resolves anyway: check
   * `exitcode`, as in Python).
   */
  async join(options: WaitOptions = {}): Promise<void> {
    checkOptions(options, "Process.join");
    const timeout = checkTimeout(options.timeout, "Process.join: timeout");
    const signal = checkSignal(options.signal, "Process.join: signal");
    if (this.#isSelf) throw new ProcessError("Cannot join the current process");
    if (this.#state === "initial") throw new ProcessError(`Cannot join ${this.#name}: it has not been started`);
    if (this.#state === "closed") throw new RangeError(`Cannot join ${this.#name}: process object is closed`);
    const sentinel = this.sentinel;
    if (this.#exitcode !== null) return;
    const release = this[kHoldOpen]();
    try {
      await within(sentinel, timeout, signal);
    } finally {
      release();
    }
  }

  /**
   * A daemon child does not keep this process alive, but whoever waits for it must be woken:
   * `await p.join()` at the top level would otherwise end the program with the wait unsettled.
   * @internal
   */
  [kHoldOpen](): () => void {
    const child = this.#child;
    if (!this.#unrefed || child === null || this.#exitcode !== null) return NOTHING_HELD;
    if (this.#holds++ === 0) child.ref();
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      if (--this.#holds === 0 && this.#exitcode === null) child.unref();
    };
  }

  /** Whether the process has started and not ended. */
  isAlive(): boolean {
    if (this.#isSelf) return true;
    this.#checkOpen("isAlive()");
    return this.#state === "started" && this.#exitcode === null;
  }

  /** Sends SIGTERM. */
  terminate(): void {
    this.#signal("SIGTERM");
  }

  /** Sends SIGKILL. */
  kill(): void {
    this.#signal("SIGKILL");
  }

  #signal(signal: NodeJS.Signals): void {
    if (this.#state === "closed") throw new RangeError(`Cannot signal ${this.#name}: process object is closed`);
    if (this.#child !== null && this.#exitcode === null) this.#child.kill(signal);
  }

  #checkOpen(what: string): void {
    if (this.#state === "closed") throw new RangeError(`Cannot read ${what} of ${this.#name}: process object is closed`);
  }

  /**
   * Releases the process object. Throws `RangeError` while the process runs; afterwards every
   * method and property but `name`, `daemon` and `authkey` throws, as Python's `ValueError`.
   */
  close(): void {
    if (this.#state === "closed") return;
    if (this.#state === "started" && this.#exitcode === null) {
      throw new RangeError(`Cannot close ${this.#name}: process is still running; join or terminate it first`);
    }
    this.#state = "closed";
    this.#child = null;
  }

  /** `null` while running (or before start); the exit code; `-N` after signal N. */
  get exitcode(): number | null {
    if (this.#isSelf) return null;
    this.#checkOpen("exitcode");
    return this.#exitcode;
  }

  /** The OS process id once started (the current process's for `currentProcess()`). */
  get pid(): number | null {
    if (this.#isSelf) return process.pid;
    this.#checkOpen("pid");
    return this.#pid;
  }

  /** Python's `ident`: the pid. */
  get ident(): number | null {
    return this.pid;
  }

  get name(): string {
    return this.#isSelf ? self.name : this.#name;
  }

  set name(value: string) {
    if (typeof value !== "string") throw new TypeError(`Process.name must be a string: got ${describe(value)}`);
    if (this.#isSelf) self.name = value;
    else this.#name = value;
  }

  get daemon(): boolean {
    return this.#isSelf ? self.daemon : this.#daemon;
  }

  set daemon(value: boolean) {
    if (this.#state !== "initial" || this.#isSelf) throw new ProcessError(`Cannot set daemon of ${this.name}: process has already started`);
    this.#daemon = Boolean(value);
  }

  /** The key children inherit and that guards this process's sockets (32 random bytes in the main process). */
  get authkey(): Buffer {
    return this.#isSelf ? self.authkey : this.#authkey;
  }

  set authkey(value: Uint8Array) {
    if (!(value instanceof Uint8Array)) throw new TypeError(`Process.authkey must be a Buffer: got ${describe(value)}`);
    const key = Buffer.from(value);
    if (this.#isSelf) self.authkey = key;
    else this.#authkey = key;
  }

  /** Settles when the process ends (Python's `sentinel`, for `wait()`). */
  get sentinel(): Promise<void> {
    if (this.#isSelf) return new Promise<void>(() => undefined);
    if (this.#state === "initial") throw new ProcessError(`Cannot get the sentinel of ${this.#name}: it has not been started`);
    this.#checkOpen("the sentinel");
    this.#sentinel ??= new Promise<void>((resolve) => (this.#settle = resolve));
    return this.#sentinel;
  }

  toString(): string {
    if (this.#state === "closed") return `<${this.constructor.name} name='${this.#name}' closed>`;
    const status = this.#isSelf ? "started" : this.#state === "initial" ? "initial" : this.#exitcode === null ? "started" : `stopped exitcode=${this.#exitcode}`;
    return `<${this.constructor.name} name='${this.name}'${this.pid === null ? "" : ` pid=${this.pid}`} ${status}${this.daemon ? " daemon" : ""}>`;
  }
}


const exportChecks = new Map<string, boolean>();

/**
 * The reference the child loads. A function found in a module but not yet confirmed as exported
 * there is checked against the module's text: when it is not exported it travels by its source, so
 * the child never imports (and re-runs) a module just to miss it. The check is synchronous so that
 * `start()` forks at once, even for the program's entry module (which cannot be imported while its
 * top level awaits).
 */
function targetRef(target: TaskFunction | TaskRef, where: string): TaskRef {
  const ref = toTaskRef(target, where);
  if (ref.kind !== "module" || ref.source === undefined) return ref;
  const key = `${ref.module}\0${ref.name}`;
  let exported = exportChecks.get(key);
  if (exported === undefined) {
    exported = false;
    try {
      const text = readFileSync(fileURLToPath(ref.module), "utf8");
      const name = ref.name.replace(/[$]/g, "\\$");
      exported = new RegExp(
        `export\\s+(?:default\\s+)?(?:async\\s+)?function\\s*\\*?\\s*${name}\\b|export\\s+(?:const|let|var)\\s+${name}\\b|export\\s*\\{[^}]*\\b${name}\\b[^}]*\\}`,
      ).test(text);
    } catch {
      exported = false;
    }
    exportChecks.set(key, exported);
  }
  return exported ? ref : { kind: "source", name: ref.name, source: ref.source };
}

function ownFields(instance: Process): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(instance)) fields[key] = (instance as unknown as Record<string, unknown>)[key];
  return fields;
}

function subclassSpec(ctor: typeof Process, instance: Process): SubclassSpec {
  const declared = (ctor as unknown as { module?: unknown }).module;
  let module: string | undefined = typeof declared === "string" ? declared : undefined;
  if (module === undefined) {
    try {
      const ref = toTaskRef(ctor.prototype.run as TaskFunction, `${instance.name} run`);
      if (ref.kind === "module") module = ref.module;
    } catch {
      module = undefined;
    }
  }
  if (module === undefined) {
    throw new TypeError(
      `Cannot start ${instance.name}: class ${ctor.name} overrides run() but its module cannot be found; ` +
        `export the class and give it \`static module = import.meta.url\``,
    );
  }
  return { module, name: ctor.name };
}

let current: Process | undefined;

/** The `Process` object of the running process (`MainProcess` in the main one). */
export function currentProcess(): Process {
  current ??= makeSelf();
  return current;
}

/** Makes `instance` (a rebuilt subclass in the child) the current process. @internal */
export function setCurrentProcess(instance: Process): void {
  // Rebuilding it ran Process's constructor, which counted it as a child of this process.
  childCounter -= 1;
  adoptAsSelf(instance);
  current = instance;
}

let parent: ParentProcess | undefined;

/** The process that started this one (Python's `parent_process()`), or null in the main process. */
export function parentProcess(): ParentProcess | null {
  if (self.parent === null) return null;
  if (parent === undefined || parent.pid !== self.parent.pid) parent = new ParentProcess(self.parent.pid, self.parent.name);
  return parent;
}

/** The children started by this process that are still running. */
export function activeChildren(): Process[] {
  return [...children].filter((child) => child.isAlive());
}

/**
 * A `Process` for a child started by other means (a process Pool's worker), so that
 * `activeChildren()` lists it as Python's lists its pool workers: daemonic, with its pid, `join()`,
 * `terminate()` and `exitcode`; it cannot be started again. @internal
 */
export function adoptChildProcess(child: ChildProcess, name: string): Process {
  return adoptStarted(child, name);
}

/** Checks the options both kinds of process take (`where` names the class in the errors). @internal */
export function checkProcessOptions(options: { target?: unknown; args?: unknown; name?: unknown; daemon?: unknown }, where: string): void {
  if (typeof options !== "object" || options === null) throw new TypeError(`${where}: options must be an object: got ${describe(options)}`);
  const { target, args = [], name, daemon } = options;
  if (daemon !== undefined && typeof daemon !== "boolean") throw new TypeError(`${where}: daemon must be a boolean: got ${describe(daemon)}`);
  if (target !== undefined && typeof target !== "function" && (typeof target !== "object" || target === null)) {
    throw new TypeError(`${where}: target must be a function or a task reference: got ${describe(target)}`);
  }
  if (!Array.isArray(args)) throw new TypeError(`${where}: args must be an array: got ${describe(args)}`);
  if (name !== undefined && typeof name !== "string") throw new TypeError(`${where}: name must be a string: got ${describe(name)}`);
}

/**
 * Checks the options of a child's Node process (`Process`, `Pool`): `execArgv` an array of
 * strings, `env` an object. @internal
 */
export function checkSpawnOptions(options: { execArgv?: unknown; env?: unknown }, where: string): void {
  const { execArgv, env } = options;
  if (execArgv !== undefined) {
    if (!Array.isArray(execArgv)) throw new TypeError(`${where}: execArgv must be an array of Node flags: got ${describe(execArgv)}`);
    execArgv.forEach((flag: unknown, i) => {
      if (typeof flag !== "string") throw new TypeError(`${where}: execArgv[${i}] must be a string: got ${describe(flag)}`);
    });
  }
  if (env !== undefined && (typeof env !== "object" || env === null || Array.isArray(env))) {
    throw new TypeError(`${where}: env must be an object of environment variables: got ${describe(env)}`);
  }
}

/** The position (and default name) of the next child of this process, whatever starts it. @internal */
export function nextChildIdentity(): number[] {
  childCounter += 1;
  return [...self.identity, childCounter];
}

/** This process's identity (for the bootstrap and the object server). @internal */
export function selfIdentity(): Readonly<Self> {
  return self;
}
