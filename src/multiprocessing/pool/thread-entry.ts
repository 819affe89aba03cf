/**
 * Entry point of a ThreadPool worker thread: two rings (tasks in, results out) and the runtime.
 */
import { receiveMessageOnPort, workerData, type MessagePort } from "node:worker_threads";
import { Ring } from "./ring.js";
import { HEADER_BYTES, OK_CLONED, OVERSIZE } from "./wire.js";
import { WorkerRuntime } from "./worker-runtime.js";
import { adoptSeed, type RegistrySeed } from "../shared-memory-registry.js";

interface ThreadWorkerData {
  inbox: SharedArrayBuffer;
  outbox: SharedArrayBuffer;
  port: MessagePort;
  sharedMemory: RegistrySeed;
}

const data = workerData as ThreadWorkerData;
adoptSeed(data.sharedMemory);
const inbox = new Ring(data.inbox);
const outbox = new Ring(data.outbox);
const port = data.port;
const header = new Uint8Array(HEADER_BYTES);
const headerView = new DataView(header.buffer);
const parts: Uint8Array[] = [header];
const both: Uint8Array[] = [header, header];

// Nothing else holds this thread's event loop open while it waits on the ring (Atomics.waitAsync
// does not): the pool ends the thread with STOP or terminate().
const keepAlive = setInterval(() => {}, 1 << 30);

const runtime = new WorkerRuntime(
  "thread",
  {
    send(kind, id, ms, payload, cloned) {
      header[0] = kind;
      headerView.setUint32(4, id, true);
      headerView.setFloat64(8, ms, true);
      const length = HEADER_BYTES + (payload?.length ?? 0);
      if (kind === OK_CLONED) {
        // The header in the ring says where the value is: on the port, sharing its memory.
        port.postMessage({ header: header.slice(), value: cloned });
        header[0] = OVERSIZE;
        outbox.writeSync(parts, HEADER_BYTES);
      } else if (length > outbox.maxRecord) {
        const record = new Uint8Array(length);
        record.set(header, 0);
        record.set(payload!, HEADER_BYTES);
        port.postMessage(record, [record.buffer]);
        header[0] = OVERSIZE;
        outbox.writeSync(parts, HEADER_BYTES);
      } else if (payload === undefined) {
        outbox.writeSync(parts, HEADER_BYTES);
      } else {
        both[1] = payload;
        outbox.writeSync(both, length);
      }
    },
    exit() {
      clearInterval(keepAlive);
      process.exit(0);
    },
  },
  refill,
  sleep,
);

function take(record: Uint8Array): void {
  if (record.length === 0) {
    const received = receiveMessageOnPort(port);
    if (received === undefined) throw new Error("Pool protocol error: an oversize record announced in the ring is missing from the port");
    const message = received.message as Uint8Array | unknown[];
    if (message instanceof Uint8Array) runtime.receive(message);
    else runtime.receiveMessage(message);
  } else {
    runtime.receive(record);
  }
}

/**
 * Takes what arrived while the last tasks ran, or waits for more. An idle worker never spins: on a
 * machine with no idle core, spinning threads take the CPU the pool's own threads need, and every
 * round trip gets several times slower. When nothing else of this thread needs its event loop
 * (no timers, sockets or ports of the tasks), it blocks in `Atomics.wait`; otherwise it returns to
 * the event loop and `sleep` waits with `Atomics.waitAsync`.
 */
function refill(): boolean {
  if (inbox.drain(take) > 0) return true;
  if (!nothingElseToDo()) return false;
  // Nothing but the pool can wake this thread: sleep in Atomics.wait, which the pool's write wakes
  // directly, rather than through the event loop (a turn of it costs more than the task).
  for (;;) {
    const position = inbox.writePosition();
    if (!inbox.isEmpty()) return inbox.drain(take) > 0;
    inbox.waitSync(position, Infinity);
  }
}

/** True when the only thing holding this thread's event loop is our own keep-alive timer. */
function nothingElseToDo(): boolean {
  const active = process.getActiveResourcesInfo();
  return active.length === 1 && active[0] === "Timeout";
}

function sleep(): void {
  const position = inbox.writePosition();
  if (!inbox.isEmpty()) return wake();
  const waiting = inbox.waitAsync(position);
  if (waiting === undefined) wake();
  else void waiting.then(wake);
}

function wake(): void {
  inbox.drain(take);
  runtime.start();
}

wake();
