/**
 * Spinning reads: when this process has nothing left to run but waits for messages, read the
 * sockets of its waiting connections directly, for a few microseconds, before sleeping in the event
 * loop.
 *
 * Why: a message that answers one just sent (a request and its reply, an echo) usually arrives
 * within tens of microseconds. Waking up through the event loop costs about 30 µs a hop here, which
 * capped Pipe round trips at 0.4x Python's blocking `recv`. Reading the descriptors with non-blocking
 * `read(2)` calls while the answer is on its way takes it as soon as the kernel has it (2x Python),
 * and the writer's kernel has no sleeping reader to wake.
 *
 * When: in a `setImmediate` after a `recv` parks. By then the microtasks have run (a reply this
 * process still owes its peer has been written) and the event loop has polled once without
 * waiting, so everything already due has been handled. The spin reads every parked connection, not
 * only one: a server waiting on several clients must not sit on one socket while another's request
 * waits. It ends as soon as any of them has bytes.
 *
 * Adaptive, like a glibc adaptive mutex: a spin that finds nothing turns spinning off until a
 * parked wait is seen to end within the spin time again, so an idle or slow process never burns
 * CPU, and a busy one spins at most `SPIN_NS` at a time. With a single CPU it never spins (the peer
 * needs the CPU we would burn), nor with more parked connections than one sweep reads quickly.
 *
 * Reading a descriptor behind libuv's back is safe: libuv reads it only while the event loop polls,
 * never while JavaScript runs, and a read it then attempts finds EAGAIN, which it ignores.
 */
import { availableParallelism } from "node:os";
import type { Socket } from "node:net";
import { descriptorOf, readAvailable } from "./socket-io.js";

/** How long one spin lasts at most, in nanoseconds. */
const SPIN_NS = 100_000n;

/** With more parked connections than this, a sweep costs more than it saves. */
const MAX_SWEEP = 16;

/** Bytes taken by one read. */
const CHUNK = 64 * 1024;

const CAN_SPIN = availableParallelism() > 1 && process.env.SHOAL_NO_SPIN === undefined;

/** A connection as the spin sees it. */
export interface SpinTarget {
  /** Its socket, while it has one that is being read (not paused for back-pressure). */
  readonly spinSocket: Socket | null;
  /** Takes bytes read from the socket (and wakes whoever waits for them). */
  readonly onChunk: (chunk: Buffer) => void;
}

/** Connections whose `recv` is parked on the event loop, and since when. */
const parked = new Map<SpinTarget, bigint>();
let enabled = CAN_SPIN;
let scheduled = false;
let scratch: Buffer | null = null;
/** What the spins of this thread found, for tests and diagnostics. */
const counts = { spins: 0, found: 0 };

/** How many spins this thread ran, and how many found bytes. @internal */
export function spinCounts(): { readonly spins: number; readonly found: number } {
  return { ...counts };
}

/** Reads what `fd` has into `target`; false when it had nothing. */
function readInto(fd: number, target: SpinTarget, buffer: Buffer): boolean {
  // EAGAIN is thrown as an Error: without a stack trace it costs a tenth as much. Errors raised
  // while the bytes are handled (a broken frame) keep theirs.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let count: number;
  try {
    count = readAvailable(fd, buffer);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  if (count === 0) return false;
  target.onChunk(Buffer.from(buffer.subarray(0, count)));
  return true;
}

/** Reads the parked connections until one has bytes, or the spin time is over. */
function spin(): void {
  scheduled = false;
  if (!enabled || parked.size === 0 || parked.size > MAX_SWEEP) return;
  const sockets: Array<{ fd: number; target: SpinTarget }> = [];
  for (const target of parked.keys()) {
    const fd = descriptorOf(target.spinSocket);
    if (fd >= 0) sockets.push({ fd, target });
  }
  if (sockets.length === 0) return;
  counts.spins += 1;
  const buffer = (scratch ??= Buffer.allocUnsafe(CHUNK));
  const deadline = process.hrtime.bigint() + SPIN_NS;
  for (let sweep = 1; ; sweep++) {
    let gotBytes = false;
    for (const { fd, target } of sockets) if (readInto(fd, target, buffer)) gotBytes = true;
    if (gotBytes) {
      counts.found += 1;
      return;
    }
    if ((sweep & 3) === 0 && process.hrtime.bigint() > deadline) break;
  }
  enabled = false;
}

function spinWhenIdle(): void {
  process.nextTick(spin);
}

/** `target`'s `recv` parks on the event loop: spin for it once the process is otherwise idle. */
export function parkSpin(target: SpinTarget): void {
  if (!parked.has(target)) parked.set(target, process.hrtime.bigint());
  if (enabled && !scheduled) {
    scheduled = true;
    // A tick queued by a microtask runs once the microtask queue is empty.
    queueMicrotask(spinWhenIdle);
  }
}

/** `target`'s parked `recv` ended; `gotMessage` when a message ended it (a short wait turns spinning back on). */
export function unparkSpin(target: SpinTarget, gotMessage: boolean): void {
  const since = parked.get(target);
  if (since === undefined) return;
  parked.delete(target);
  if (gotMessage && !enabled && CAN_SPIN && process.hrtime.bigint() - since <= SPIN_NS) enabled = true;
}
