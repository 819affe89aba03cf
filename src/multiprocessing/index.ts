/**
 * shoal/multiprocessing: Python's `multiprocessing` for TypeScript: processes, pipes, listeners,
 * and queues, locks and values shared between processes. See docs/multiprocessing.md.
 */
import "./handles.js";

export { ProcessError, TimeoutError, AuthenticationError, BufferTooShort, EOFError, FrameError, RemoteError } from "./errors.js";
export { Empty, Full, ShutDown } from "../queue/errors.js";
export { ThreadError, BrokenBarrierError } from "../threading/errors.js";
export { Process, type ProcessOptions, currentProcess, parentProcess, activeChildren } from "./process.js";
export { ParentProcess } from "./parent-process.js";
export { cpuCount, processCpuCount, isMainModule } from "./context.js";
export { setExecutable, getExecutable } from "./executable.js";
export { getContext, setStartMethod, getStartMethod, getAllStartMethods, SpawnContext, WorkerContext, type Context, type StartMethod } from "./start-methods.js";
export { WorkerProcess, type WorkerProcessOptions } from "./worker-process.js";
export { Connection, type ConnectionOptions } from "./connection.js";
export { Pipe, type PipeOptions } from "./pipe.js";
export { ThreadConnection, threadPipe, type ThreadPipeOptions, type ThreadConnectionSyncOptions } from "./thread-pipe.js";
export { Listener, Client, type Address, type Family, type ListenerOptions, type ClientOptions, type AcceptOptions } from "./listener.js";
export { wait, type Waitable } from "./wait.js";
export * as connection from "./connection-module.js";
export { Queue, type QueueWaitOptions } from "./queue.js";
export { SimpleQueue } from "./simple-queue.js";
export { JoinableQueue } from "./joinable-queue.js";
export { Lock, type AcquireOptions, type Held } from "./lock.js";
export { RLock } from "./rlock.js";
export { Semaphore, BoundedSemaphore } from "./semaphore.js";
export { Condition } from "./condition.js";
export { Event } from "./event.js";
export { Barrier, type BarrierOptions } from "./barrier.js";
export { Value, Array, RawValue, RawArray, SharedValue, SharedArray, type SharedNumberOptions } from "./value.js";
export { ThreadValue, ThreadArray, threadValue, threadArray, threadRawValue, threadRawArray, type ThreadCtypeLock, type ThreadCtypeOptions, type TypedArrayOf } from "./thread-ctypes.js";
export type { TypeCode } from "./typecodes.js";
export { SharedMemory, FileExistsError, FileNotFoundError, type SharedMemoryOptions } from "./shared-memory.js";
export { ShareableList, type ShareableItem } from "./shareable-list.js";
export { SharedMemoryManager } from "./shared-memory-manager.js";
export { ObjectServer, ProxyReturn, publicMethods, type Caller, type Dispatch, type RegisterOptions, type ServedEntry, type ObjectServerOptions } from "./server.js";
export { ObjectClient, type CallOptions } from "./client.js";
export { registerRemoteError, errorFromWire, errorToWire, type Token, type Request, type Reply, type WireError } from "./protocol.js";
export { task, type TaskRef } from "../internal/task.js";
export * from "./pool/index.js";
export * from "./managers/index.js";
