/**
 * shoal objects crossing a thread or process boundary inside arbitrary values.
 *
 * Values cross by structured clone (`postMessage`, `v8.serialize`). Structured clone copies plain
 * data but would turn a `Lock` into a dead plain object. So each kind of shoal object that can cross
 * registers itself here, and the sender replaces instances by small markers that the receiver turns
 * back into working objects (the same lock, the same queue, a proxy to it).
 *
 * API (stable; other layers build on it):
 *
 *   registerShareable({
 *     kind: "threading.Lock",            // unique name
 *     module: import.meta.url,           // the receiver imports it when the kind is not loaded yet
 *     is: (v): v is Lock => v instanceof Lock,
 *     encode: (lock, boundary, where) => lock.sharedState,   // must be structured-cloneable;
 *                                        // throw TypeError(`${where}: ...`) if it cannot cross `boundary`
 *     decode: (data, boundary) => Lock.fromShared(data),
 *     // commit/rollback (optional), for kinds that move rather than share: called once the whole
 *     // value has encoded, or instead when a later part of it could not cross.
 *   });
 *
 *   const wire = encodeForTransfer(value, "thread", "Thread args");   // sync; throws TypeError at once
 *   const back = decodeFromTransfer(wire, "thread");                  // sync; kinds must be registered
 *   const back2 = await decodeFromTransferAsync(wire, "thread");      // imports unknown kinds first
 *   await decodeFromTransferAsync(wire, "process", { canImport });    // ... only modules it admits
 *
 * `encodeForTransfer` walks arrays, plain objects, Map and Set. It returns the value itself (no copy)
 * when nothing in it needs replacing, and an envelope object otherwise; `decodeFromTransfer` looks
 * only at the top level to know whether there is anything to do, so plain data costs one type check
 * on the receiving side (decoding rewrites the received copy in place). Primitives, typed arrays,
 * ArrayBuffers, Dates, RegExps and Errors are never walked into. `needsDecoding(wire)` tells whether
 * a received value holds markers.
 *
 * What cannot cross fails at once with a TypeError naming where it was, e.g.
 * `Thread args[1].handler: cannot send a function to a worker thread; ...`:
 * functions, symbols, class instances (which would arrive without their prototype), WeakMaps,
 * Promises, and for `"process"` also SharedArrayBuffers (memory cannot be shared between processes).
 */

/** Where a value goes: another worker thread of this process, or another process. */
export type Boundary = "thread" | "process";

/** A kind of object that can cross boundaries as a marker. */
export interface Shareable<T = unknown, D = unknown> {
  /** Unique name of the kind, e.g. `"threading.Lock"`. */
  readonly kind: string;
  /** URL of the module that registers the kind (its `import.meta.url`), imported by receivers that lack it. */
  readonly module: string;
  /** Whether `value` is an instance of this kind. Keep it cheap (`instanceof`). */
  is(value: unknown): value is T;
  /** The structured-cloneable data of `value`; throws a TypeError starting with `where` if it cannot cross. */
  encode(value: T, boundary: Boundary, where: string): D;
  /** A working object from `encode`'s data. */
  decode(data: D, boundary: Boundary): T;
  /**
   * For kinds that move rather than share (a Pipe end): called for each encoded instance once the
   * whole value has encoded, so that a later part that cannot cross leaves the instance untouched.
   */
  commit?(value: T): void;
  /** Called instead of `commit` when a later part of the value could not cross. */
  rollback?(value: T): void;
  /**
   * For kinds that move: the value went out, then came back undecoded to the thread that sent it (a
   * queue gives a thread back the very item it put), so the instance lives here again.
   */
  reclaim?(value: T): void;
}

/** The instances one `encodeForTransfer` moved out (kinds with `commit`), for `reclaimMoved`. */
export type MovedInstances = Array<readonly [Shareable, object]>;

/** The marker that stands for a registered instance inside a transferred value. */
export interface ShareableMarker {
  readonly __shoal_shareable__: string;
  readonly module: string;
  readonly data: unknown;
}

/** What `encodeForTransfer` returns when the value contained registered instances. */
export interface TransferEnvelope {
  readonly __shoal_envelope__: 1;
  readonly value: unknown;
}

const ENVELOPE = "__shoal_envelope__";
const MARKER = "__shoal_shareable__";

const kinds = new Map<string, Shareable>();
let registered: Shareable[] = [];

/** Registers a kind of shareable object. Registering the same kind again replaces it. */
export function registerShareable<T, D>(shareable: Shareable<T, D>): void {
  if (typeof shareable?.kind !== "string" || shareable.kind === "") throw new TypeError("registerShareable: kind must be a non-empty string");
  if (typeof shareable.module !== "string") throw new TypeError("registerShareable: module must be the registering module's import.meta.url");
  kinds.set(shareable.kind, shareable as unknown as Shareable);
  registered = [...kinds.values()];
}

/** Whether a kind is registered in this thread. */
export function isShareableKind(kind: string): boolean {
  return kinds.has(kind);
}

function boundaryName(boundary: Boundary): string {
  return boundary === "thread" ? "a worker thread" : "another process";
}

/**
 * Prepares `value` to cross `boundary`: registered instances become markers. Returns `value` itself
 * when it holds none.
 * @param where names the value in errors, e.g. `"Thread args"`, `"Queue.put item"`.
 * @param moved collects the instances that moved out (Pipe ends), for a caller that may be handed
 *   the value back undecoded (`reclaimMoved`).
 * @throws TypeError when something inside cannot cross, naming its path.
 */
export function encodeForTransfer(value: unknown, boundary: Boundary, where: string, moved?: MovedInstances): unknown {
  if (typeof value !== "object" || value === null) {
    if (typeof value === "function" || typeof value === "symbol") cannot(value, boundary, where);
    return value;
  }
  const state: WalkState = { changed: false, path: new Set(), moved: [] };
  let out: unknown;
  try {
    out = walk(value, boundary, where, state);
  } catch (error) {
    for (const [kind, object] of state.moved) kind.rollback?.(object);
    throw error;
  }
  for (const [kind, object] of state.moved) kind.commit?.(object);
  if (moved !== undefined) moved.push(...state.moved);
  if (!state.changed) return value;
  const envelope: TransferEnvelope = { [ENVELOPE]: 1, value: out };
  return envelope;
}

/** Makes the instances an encode moved out live in this thread again: their value came back undecoded. */
export function reclaimMoved(moved: MovedInstances): void {
  for (const [kind, object] of moved) kind.reclaim?.(object);
}

interface WalkState {
  changed: boolean;
  path: Set<object>;
  /** Instances of kinds with `commit`, in the order they were encoded. */
  moved: Array<[Shareable, object]>;
}

function walk(value: unknown, boundary: Boundary, where: string, state: WalkState): unknown {
  const type = typeof value;
  if (type !== "object") {
    if (type === "function" || type === "symbol") cannot(value, boundary, where);
    return value;
  }
  if (value === null) return value;
  const object = value as object;
  for (let i = 0; i < registered.length; i++) {
    const kind = registered[i]!;
    if (kind.is(object)) {
      state.changed = true;
      const marker: ShareableMarker = { [MARKER]: kind.kind, module: kind.module, data: kind.encode(object, boundary, where) };
      if (kind.commit !== undefined || kind.rollback !== undefined) state.moved.push([kind, object]);
      return marker;
    }
  }
  if (ArrayBuffer.isView(object)) {
    if (boundary === "process" && object.buffer instanceof SharedArrayBuffer) {
      throw new TypeError(`${where}: cannot send a view of a SharedArrayBuffer to another process: memory is shared only between threads of one process; copy it (slice) or use a worker thread`);
    }
    return value;
  }
  if (state.path.has(object)) return value; // a cycle: structured clone keeps it; nothing new below.
  if (Array.isArray(object)) return walkArray(object, boundary, where, state);
  const proto = Object.getPrototypeOf(object) as object | null;
  if (proto === Object.prototype || proto === null) return walkObject(object as Record<string, unknown>, boundary, where, state);
  if (object instanceof Map) return walkMap(object, boundary, where, state);
  if (object instanceof Set) return walkSet(object, boundary, where, state);
  if (object instanceof SharedArrayBuffer) {
    if (boundary === "process") {
      throw new TypeError(`${where}: cannot send a SharedArrayBuffer to another process: memory is shared only between threads of one process`);
    }
    return value;
  }
  if (
    object instanceof ArrayBuffer ||
    object instanceof Date ||
    object instanceof RegExp ||
    object instanceof Error ||
    object instanceof Boolean ||
    object instanceof Number ||
    object instanceof String ||
    object instanceof BigInt ||
    (typeof Blob !== "undefined" && object instanceof Blob)
  ) {
    return value;
  }
  if (object instanceof Promise) {
    throw new TypeError(`${where}: cannot send a Promise to ${boundaryName(boundary)}; await it and send its value`);
  }
  if (object instanceof WeakMap || object instanceof WeakSet || object instanceof WeakRef) {
    throw new TypeError(`${where}: cannot send ${describeObject(object)} to ${boundaryName(boundary)}: weak collections cannot be copied`);
  }
  if (boundary === "thread" && isTransferableHandle(object)) return value;
  throw new TypeError(
    `${where}: cannot send ${describeObject(object)} to ${boundaryName(boundary)}: it would arrive as a plain object without its class; ` +
      `send its data (a plain object) and rebuild it on the other side`,
  );
}

function isTransferableHandle(object: object): boolean {
  const name = object.constructor?.name;
  return name === "MessagePort" || name === "BroadcastChannel" || name === "X509Certificate" || name === "KeyObject" || name === "CryptoKey";
}

function walkArray(array: unknown[], boundary: Boundary, where: string, state: WalkState): unknown {
  // Arrays of primitives (the common case) are checked without building path strings.
  let out: unknown[] | undefined;
  state.path.add(array);
  for (let i = 0; i < array.length; i++) {
    const item = array[i];
    if (typeof item !== "object" || item === null) {
      if (typeof item === "function" || typeof item === "symbol") cannot(item, boundary, `${where}[${i}]`);
      if (out !== undefined) out[i] = item;
      continue;
    }
    const before = state.changed;
    state.changed = false;
    const next = walk(item, boundary, `${where}[${i}]`, state);
    if (state.changed && out === undefined) out = array.slice(0, i);
    if (out !== undefined) out[i] = next;
    state.changed ||= before;
  }
  state.path.delete(array);
  return out ?? array;
}

function walkObject(object: Record<string, unknown>, boundary: Boundary, where: string, state: WalkState): unknown {
  let out: Record<string, unknown> | undefined;
  state.path.add(object);
  const keys = Object.keys(object);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const item = object[key];
    if (typeof item !== "object" || item === null) {
      if (typeof item === "function" || typeof item === "symbol") cannot(item, boundary, pathOf(where, key));
      if (out !== undefined) out[key] = item;
      continue;
    }
    const before = state.changed;
    state.changed = false;
    const next = walk(item, boundary, pathOf(where, key), state);
    if (state.changed && out === undefined) {
      out = {};
      for (let j = 0; j < i; j++) out[keys[j]!] = object[keys[j]!];
    }
    if (out !== undefined) out[key] = next;
    state.changed ||= before;
  }
  state.path.delete(object);
  return out ?? object;
}

function walkMap(map: Map<unknown, unknown>, boundary: Boundary, where: string, state: WalkState): unknown {
  let entries: Array<[unknown, unknown]> | undefined;
  state.path.add(map);
  let index = 0;
  for (const [key, item] of map) {
    const before = state.changed;
    state.changed = false;
    const k = walk(key, boundary, `${where}.<map key ${index}>`, state);
    const v = walk(item, boundary, `${where}.get(${describeKey(key)})`, state);
    if (state.changed && entries === undefined) entries = [...map].slice(0, index);
    if (entries !== undefined) entries.push([k, v]);
    state.changed ||= before;
    index++;
  }
  state.path.delete(map);
  return entries === undefined ? map : new Map(entries);
}

function walkSet(set: Set<unknown>, boundary: Boundary, where: string, state: WalkState): unknown {
  let items: unknown[] | undefined;
  state.path.add(set);
  let index = 0;
  for (const item of set) {
    const before = state.changed;
    state.changed = false;
    const v = walk(item, boundary, `${where}.<set item ${index}>`, state);
    if (state.changed && items === undefined) items = [...set].slice(0, index);
    if (items !== undefined) items.push(v);
    state.changed ||= before;
    index++;
  }
  state.path.delete(set);
  return items === undefined ? set : new Set(items);
}

function pathOf(where: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${where}.${key}` : `${where}[${JSON.stringify(key)}]`;
}

function describeKey(key: unknown): string {
  return typeof key === "string" ? JSON.stringify(key) : typeof key === "number" ? String(key) : typeof key;
}

function describeObject(object: object): string {
  const name = (object as { constructor?: { name?: string } }).constructor?.name;
  return name ? `an instance of ${name}` : "an object with a custom prototype";
}

function cannot(value: unknown, boundary: Boundary, where: string): never {
  if (typeof value === "symbol") throw new TypeError(`${where}: cannot send a symbol to ${boundaryName(boundary)}`);
  const fn = value as (...args: unknown[]) => unknown;
  throw new TypeError(
    `${where}: cannot send a function (${fn.name || "anonymous"}) to ${boundaryName(boundary)}; ` +
      `functions do not cross threads or processes: pass data, or make it the target (an exported function or task(import.meta.url, "name"))`,
  );
}

// --- Receiving side -------------------------------------------------------------------------------

function isEnvelope(value: unknown): value is TransferEnvelope {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[ENVELOPE] === 1 && "value" in value;
}

/** Whether a received value holds markers (so decoding has work to do). */
export function needsDecoding(value: unknown): boolean {
  return isEnvelope(value);
}

/**
 * Turns a received value back into working objects. Sync; every kind inside must be registered in
 * this thread (use `decodeFromTransferAsync` when it may not be).
 */
export function decodeFromTransfer(value: unknown, boundary: Boundary): unknown {
  if (!isEnvelope(value)) return value;
  return unwalk(value.value, boundary, new Set());
}

/** Options of `decodeFromTransferAsync`. */
export interface DecodeOptions {
  /**
   * Whether `module` may be imported to load a kind named by a received marker (default:
   * `isOwnModule`). Servers decoding what their clients send narrow it further.
   */
  canImport?: ((module: string) => boolean) | undefined;
}

/** The root of shoal's own modules (the directory above `internal/`). */
const OWN_ROOT = new URL("../", import.meta.url).href;

/**
 * Whether `module` is one of shoal's own modules: a plain `file:` URL under shoal's root, as
 * `import.meta.url` spells it. A marker naming anything else (a `data:` URL, another package, a path
 * outside shoal) is never imported: importing runs the module's code.
 */
export function isOwnModule(module: string): boolean {
  if (typeof module !== "string" || !module.startsWith("file:")) return false;
  let url: URL;
  try {
    url = new URL(module);
  } catch {
    return false;
  }
  return url.href === module && url.search === "" && url.hash === "" && url.href.startsWith(OWN_ROOT) && /\.(?:m?js|ts)$/.test(url.pathname);
}

/**
 * Like `decodeFromTransfer`, importing first the modules of kinds this thread has not loaded yet,
 * when `canImport` admits them (by default only shoal's own modules).
 * @throws TypeError naming the kind and module when a marker names a module it may not import.
 */
export async function decodeFromTransferAsync(value: unknown, boundary: Boundary, options: DecodeOptions = {}): Promise<unknown> {
  if (!isEnvelope(value)) return value;
  const missing = new Map<string, string>();
  collectMissing(value.value, missing, new Set());
  const canImport = options.canImport ?? isOwnModule;
  for (const [module, kind] of missing) {
    if (!canImport(module)) {
      throw new TypeError(`Cannot decode a ${String(kind)}: refusing to import its module ${JSON.stringify(String(module)).slice(0, 200)}, which is not a module shoal loads objects from`);
    }
  }
  for (const module of missing.keys()) await import(module);
  return unwalk(value.value, boundary, new Set());
}

function isMarker(value: object): value is ShareableMarker {
  return typeof (value as Record<string, unknown>)[MARKER] === "string";
}

/** Collects `module → kind` of the markers whose kind is not registered. */
function collectMissing(value: unknown, missing: Map<string, string>, seen: Set<object>): void {
  if (typeof value !== "object" || value === null || seen.has(value) || ArrayBuffer.isView(value)) return;
  seen.add(value);
  if (isMarker(value)) {
    if (!kinds.has(value[MARKER])) missing.set(value.module, value[MARKER]);
    return;
  }
  if (Array.isArray(value)) for (const item of value) collectMissing(item, missing, seen);
  else if (value instanceof Map) {
    for (const [k, v] of value) {
      collectMissing(k, missing, seen);
      collectMissing(v, missing, seen);
    }
  }
  else if (value instanceof Set) for (const item of value) collectMissing(item, missing, seen);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const key of Object.keys(value)) collectMissing((value as Record<string, unknown>)[key], missing, seen);
}

function unwalk(value: unknown, boundary: Boundary, seen: Set<object>): unknown {
  if (typeof value !== "object" || value === null || ArrayBuffer.isView(value) || seen.has(value)) return value;
  if (isMarker(value)) {
    const kind = kinds.get(value[MARKER]);
    if (kind === undefined) {
      throw new TypeError(`Cannot decode a ${value[MARKER]}: its module ${value.module} is not loaded in this thread; use decodeFromTransferAsync`);
    }
    return kind.decode(value.data, boundary);
  }
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = unwalk(value[i], boundary, seen);
    return value;
  }
  if (value instanceof Map) {
    const entries = [...value].map(([k, v]) => [unwalk(k, boundary, seen), unwalk(v, boundary, seen)] as [unknown, unknown]);
    value.clear();
    for (const [k, v] of entries) value.set(k, v);
    return value;
  }
  if (value instanceof Set) {
    const items = [...value].map((v) => unwalk(v, boundary, seen));
    value.clear();
    for (const item of items) value.add(item);
    return value;
  }
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === Object.prototype || proto === null) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) record[key] = unwalk(record[key], boundary, seen);
  }
  return value;
}
