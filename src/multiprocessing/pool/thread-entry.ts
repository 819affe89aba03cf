/**
 * Entry point of a ThreadPool worker thread: two rings (tasks in, results out) and the runtime.
 */
import { receiveMessageOnPort, workerData, type MessagePort } from "node:worker_threads";
import { Ring } from "./ring.js";
import { HEADER_BYTES, OK_CLONED, OVERSIZE } from "./wire.js";
import { WorkerRuntime } from "./worker-runtime.js";

interface ThreadWorkerData {
  inbox: SharedArrayBuffer;
  outbox: SharedArrayBuffer;
  port: MessagePort;
}

const data = workerData as ThreadWorkerData;
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
 * Takes what arrived while the last tasks ran. An idle worker does not spin waiting for more:
 * on a machine with no idle core, spinning threads take the CPU the pool's own threads need, and
 * every round trip gets several times slower.
 */
function refill(): boolean {
  return inbox.drain(take) > 0;
}

let printed = false;
function sleep(): void {
  if (process.env.XBLOCKWAIT) {
    const res = process.getActiveResourcesInfo();
    if (!printed) { printed = true; console.error("RES", res); }
    if (res.length === 1) {
      for (;;) {
        const position = inbox.writePosition();
        if (!inbox.isEmpty()) break;
        inbox.waitSync(position, Infinity);
      }
      return wake();
    }
  }
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
