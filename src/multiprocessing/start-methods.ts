/**
 * Start methods and contexts (Python's `multiprocessing/context.py`): `getContext()`,
 * `setStartMethod()`, `getStartMethod()`, `getAllStartMethods()`.
 *
 * Node has no `fork()`: "fork" and "forkserver" are refused with the reason. Two methods remain:
 *
 * - "spawn" (the default), as Python's: a new Node process imports the target's module.
 * - "worker", an addition: the target runs on a `worker_threads` thread of this process
 *   (`WorkerProcess`). It starts in milliseconds, and the context's queues and locks are those of
 *   `shoal/queue` and `shoal/threading`, shared memory with the parent; there is no separate
 *   address space or pid.
 *
 * A context is the facade Python code reaches for (`ctx = mp.get_context("spawn")`, then
 * `ctx.Process`, `ctx.Queue`, ...): ported code keeps its shape.
 */
import { ProcessError } from "./errors.js";
import { Process, activeChildren, currentProcess, parentProcess } from "./process.js";
import { cpuCount } from "./context.js";
import { getExecutable, setExecutable } from "./executable.js";
import { Pipe } from "./pipe.js";
import { Queue } from "./queue.js";
import { SimpleQueue } from "./simple-queue.js";
import { JoinableQueue } from "./joinable-queue.js";
import { Lock } from "./lock.js";
import { RLock } from "./rlock.js";
import { Semaphore, BoundedSemaphore } from "./semaphore.js";
import { Condition } from "./condition.js";
import { Event } from "./event.js";
import { Barrier } from "./barrier.js";
import { Value, Array, RawValue, RawArray } from "./value.js";
import { threadArray, threadRawArray, threadRawValue, threadValue } from "./thread-ctypes.js";
import { threadPipe } from "./thread-pipe.js";
import { Listener, Client } from "./listener.js";
import { Pool } from "./pool/pool.js";
import { Manager } from "./managers/sync-manager.js";
import { ThreadPool } from "./pool/thread-pool.js";
import { WorkerProcess } from "./worker-process.js";
import * as threading from "../threading/index.js";
import * as queue from "../queue/index.js";

/** How a child process starts. */
export type StartMethod = "spawn" | "worker";

const ALL: readonly StartMethod[] = ["spawn", "worker"];

/** What every context has: the start method, the `Manager`, and the module functions. */
abstract class BaseContext {
  readonly Manager = Manager;
  readonly ProcessError = ProcessError;
  readonly cpuCount = cpuCount;
  readonly currentProcess = currentProcess;
  readonly parentProcess = parentProcess;

  /** This context's start method. */
  abstract getStartMethod(): StartMethod;
}

/** The factories of the "spawn" start method: children are new Node processes. */
export class SpawnContext extends BaseContext {
  readonly Process = Process;
  readonly setExecutable = setExecutable;
  readonly getExecutable = getExecutable;
  readonly Pipe = Pipe;
  readonly Queue = Queue;
  readonly SimpleQueue = SimpleQueue;
  readonly JoinableQueue = JoinableQueue;
  readonly Lock = Lock;
  readonly RLock = RLock;
  readonly Semaphore = Semaphore;
  readonly BoundedSemaphore = BoundedSemaphore;
  readonly Condition = Condition;
  readonly Event = Event;
  readonly Barrier = Barrier;
  readonly Value = Value;
  readonly Array = Array;
  readonly RawValue = RawValue;
  readonly RawArray = RawArray;
  readonly Listener = Listener;
  readonly Client = Client;
  readonly Pool = Pool;
  readonly activeChildren = activeChildren;

  getStartMethod(): StartMethod {
    return "spawn";
  }
}

/**
 * The factories of the "worker" start method: `WorkerProcess`, the thread-shared queues and locks,
 * `Pipe` (thread connections built on those queues), `Value`/`Array`/`RawValue`/`RawArray` in shared
 * memory (synchronous `.value` and `arr[i]`), and `ThreadPool` as its `Pool`.
 */
export class WorkerContext extends BaseContext {
  readonly Process = WorkerProcess;
  readonly Pipe = threadPipe;
  readonly Queue = queue.Queue;
  readonly SimpleQueue = queue.SimpleQueue;
  readonly JoinableQueue = queue.Queue;
  readonly Lock = threading.Lock;
  readonly RLock = threading.RLock;
  readonly Semaphore = threading.Semaphore;
  readonly BoundedSemaphore = threading.BoundedSemaphore;
  readonly Condition = threading.Condition;
  readonly Event = threading.Event;
  readonly Barrier = threading.Barrier;
  readonly Value = threadValue;
  readonly Array = threadArray;
  readonly RawValue = threadRawValue;
  readonly RawArray = threadRawArray;
  readonly Pool = ThreadPool;

  getStartMethod(): StartMethod {
    return "worker";
  }
}

/** A context: what `getContext()` returns. */
export type Context = SpawnContext | WorkerContext;

const SPAWN = new SpawnContext();
const WORKER = new WorkerContext();
let chosen: StartMethod | null = null;

function checkMethod(method: unknown, where: string): StartMethod {
  if (method === "spawn" || method === "worker") return method;
  if (method === "fork" || method === "forkserver") {
    throw new RangeError(`${where}: "${method}" is not available: Node has no fork(); every child starts as a new process ("spawn")`);
  }
  throw new RangeError(`${where}: unknown start method ${JSON.stringify(method)}: expected one of ${ALL.map((m) => `"${m}"`).join(", ")}`);
}

/** The context of `method` (default: the chosen start method, else "spawn"). */
export function getContext(method: "spawn"): SpawnContext;
export function getContext(method: "worker"): WorkerContext;
export function getContext(method?: StartMethod): Context;
export function getContext(method?: StartMethod): Context {
  const checked = method === undefined ? (chosen ?? "spawn") : checkMethod(method, "getContext");
  return checked === "worker" ? WORKER : SPAWN;
}

/**
 * Chooses the start method, once. A second call throws `ProcessError` ("context has already been
 * set", as Python's RuntimeError) unless `force` is given.
 */
export function setStartMethod(method: StartMethod, options: { force?: boolean | undefined } = {}): void {
  const checked = checkMethod(method, "setStartMethod");
  if (chosen !== null && !options.force) throw new ProcessError(`Cannot set the start method: the context has already been set (to "${chosen}")`);
  chosen = checked;
}

/**
 * The start method in use. Like Python, asking fixes it to the default ("spawn") unless
 * `allowNone` is given, which returns null while none was chosen.
 */
export function getStartMethod(options: { allowNone?: boolean | undefined } = {}): StartMethod | null {
  if (chosen === null && !options.allowNone) chosen = "spawn";
  return chosen;
}

/** The start methods this platform offers: `["spawn", "worker"]`. */
export function getAllStartMethods(): StartMethod[] {
  return [...ALL];
}
