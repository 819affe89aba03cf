/**
 * `ShareableList` (Python's `multiprocessing.shared_memory.ShareableList`): a list of fixed length
 * kept in a SharedMemory, whose items (numbers, bigints, booleans, null, strings, bytes) every
 * thread that attaches reads and replaces in place.
 *
 *   const list = new ShareableList(["howdy", 42, 3.5, null, true]);
 *   list.set(1, 43); list.get(0);                       // or list[1] = 43, list[0]
 *   const same = new ShareableList(null, { name: list.shm.name });   // in another thread
 *
 * As in Python, its length never changes, and each item has the room its first value needed:
 * 8 bytes for a number, or the string's (bytes') UTF-8 length rounded up to the next multiple of 8.
 * A longer string later does not fit and throws a RangeError. Not synchronized, as Python's is not:
 * guard compound updates with a Lock.
 *
 * Layout (little-endian): item count (uint32); then per item 16 bytes: kind (uint8), used length
 * (uint32 at +4), room (uint32 at +8), offset of its bytes (uint32 at +12); then the items' bytes.
 */
import { registerShareable } from "../internal/codec.js";
import { describe } from "../internal/options.js";
import { SharedMemory, notAcrossProcesses } from "./shared-memory.js";
import { withIndexAccess } from "./index-access.js";

/** What a ShareableList holds. */
export type ShareableItem = number | bigint | boolean | null | string | Uint8Array;

const KIND = { number: 1, bigint: 2, boolean: 3, null: 4, string: 5, bytes: 6 } as const;
const SLOT = 16;
const ALIGN = 8;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function kindOf(item: unknown, where: string): number {
  if (typeof item === "number") return KIND.number;
  if (typeof item === "bigint") return KIND.bigint;
  if (typeof item === "boolean") return KIND.boolean;
  if (item === null) return KIND.null;
  if (typeof item === "string") return KIND.string;
  if (item instanceof Uint8Array) return KIND.bytes;
  throw new TypeError(`${where}: a ShareableList holds numbers, bigints, booleans, null, strings and Uint8Arrays: got ${describe(item)}`);
}

function bytesOf(item: string | Uint8Array): Uint8Array {
  return typeof item === "string" ? encoder.encode(item) : item;
}

/** Python's room for a str or bytes item: its length rounded up to the next multiple of 8 (never 0). */
function roomFor(item: ShareableItem, where: string): number {
  const kind = kindOf(item, where);
  if (kind !== KIND.string && kind !== KIND.bytes) return ALIGN;
  return ALIGN * (Math.floor(bytesOf(item as string | Uint8Array).length / ALIGN) + 1);
}

let adopting: SharedMemory | undefined;

/** A fixed-length list in shared memory. */
export class ShareableList {
  // Not #private: the index proxy stands in for `this`, and private fields are not reachable through it.
  private readonly memory: SharedMemory;
  private readonly view: DataView;
  [index: number]: ShareableItem;

  /**
   * `new ShareableList(items)` makes a list (in a new SharedMemory, named `options.name` if given);
   * `new ShareableList(null, { name })` attaches to one made in this or another thread.
   */
  constructor(items?: Iterable<ShareableItem> | null, options: { name?: string | undefined } = {}) {
    if (adopting !== undefined) {
      this.memory = adopting;
      adopting = undefined;
    } else if (items === undefined || items === null) {
      if (options.name === undefined) throw new TypeError("ShareableList: give the items of a new list, or { name } of one to attach to");
      this.memory = new SharedMemory({ name: options.name });
    } else {
      if (typeof (items as Iterable<unknown>)[Symbol.iterator] !== "function") throw new TypeError(`ShareableList: items must be iterable: got ${describe(items)}`);
      const list = [...items];
      const rooms = list.map((item, i) => roomFor(item, `ShareableList items[${i}]`));
      const header = 4 + SLOT * list.length;
      const size = header + rooms.reduce((a, b) => a + b, 0);
      this.memory = new SharedMemory({ create: true, size, name: options.name });
      const view = new DataView(this.memory.sharedBuffer);
      view.setUint32(0, list.length, true);
      let offset = header;
      list.forEach((_, i) => {
        view.setUint32(4 + SLOT * i + 8, rooms[i]!, true);
        view.setUint32(4 + SLOT * i + 12, offset, true);
        offset += rooms[i]!;
      });
      this.view = view;
      list.forEach((item, i) => this.set(i, item));
    }
    this.view ??= new DataView(this.memory.sharedBuffer);
    Object.defineProperty(this, "memory", { enumerable: false });
    Object.defineProperty(this, "view", { enumerable: false });
    return withIndexAccess<ShareableList, ShareableItem>(this);
  }

  /** @internal A list that arrived from another thread. */
  static fromMemory(memory: SharedMemory): ShareableList {
    adopting = memory;
    return new ShareableList();
  }

  /** The SharedMemory holding the list (its `name` attaches another thread). */
  get shm(): SharedMemory {
    return this.memory;
  }

  get length(): number {
    return this.view.getUint32(0, true);
  }

  /** Item `index` (negative counts from the end, as in Python). */
  get(index: number): ShareableItem {
    const slot = 4 + SLOT * positionOf(this.length, index, "get");
    const view = this.view;
    const offset = view.getUint32(slot + 12, true);
    switch (view.getUint8(slot)) {
      case KIND.number:
        return view.getFloat64(offset, true);
      case KIND.bigint:
        return view.getBigInt64(offset, true);
      case KIND.boolean:
        return view.getUint8(offset) === 1;
      case KIND.null:
        return null;
      case KIND.string:
        return decoder.decode(new Uint8Array(view.buffer, offset, view.getUint32(slot + 4, true)).slice());
      case KIND.bytes:
        return new Uint8Array(view.buffer, offset, view.getUint32(slot + 4, true)).slice();
      default:
        throw new TypeError(`ShareableList ${JSON.stringify(this.memory.name)}: item ${index} is damaged`);
    }
  }

  /** Replaces item `index`; a string or bytes must fit the room of the item's first value. */
  set(index: number, item: ShareableItem): void {
    const i = positionOf(this.length, index, "set");
    const slot = 4 + SLOT * i;
    const view = this.view;
    const kind = kindOf(item, `ShareableList.set(${index})`);
    const room = view.getUint32(slot + 8, true);
    const offset = view.getUint32(slot + 12, true);
    let used = 0;
    if (kind === KIND.string || kind === KIND.bytes) {
      const bytes = bytesOf(item as string | Uint8Array);
      if (bytes.length > room) {
        throw new RangeError(`ShareableList.set(${index}): ${bytes.length} bytes do not fit the item's ${room} (the room of its first value; the length of a ShareableList's items is fixed)`);
      }
      new Uint8Array(view.buffer, offset, bytes.length).set(bytes);
      used = bytes.length;
    } else if (kind === KIND.number) view.setFloat64(offset, item as number, true);
    else if (kind === KIND.bigint) {
      if ((item as bigint) < -(2n ** 63n) || (item as bigint) >= 2n ** 63n) throw new RangeError(`ShareableList.set(${index}): ${String(item)} does not fit 64 bits`);
      view.setBigInt64(offset, item as bigint, true);
    } else if (kind === KIND.boolean) view.setUint8(offset, item ? 1 : 0);
    view.setUint32(slot + 4, used, true);
    view.setUint8(slot, kind);
  }

  /** How many items equal `value` (strings and bytes by content). */
  count(value: ShareableItem): number {
    return this.toArray().filter((item) => same(item, value)).length;
  }

  /** The first index of `value`; a RangeError (Python's ValueError) when it is not there. */
  index(value: ShareableItem): number {
    const at = this.toArray().findIndex((item) => same(item, value));
    if (at < 0) throw new RangeError(`ShareableList.index: ${describe(value)} is not in the list`);
    return at;
  }

  /** Python's `format`: a struct-like code per item (`d` number, `q` bigint, `?` boolean, `x` null, `Ns` string, `Nb` bytes). */
  get format(): string {
    return Array.from({ length: this.length }, (_, i) => {
      const slot = 4 + SLOT * i;
      const room = this.view.getUint32(slot + 8, true);
      return ["", "d", "q", "?", "x", `${room}s`, `${room}b`][this.view.getUint8(slot)] ?? "?";
    }).join("");
  }

  toArray(): ShareableItem[] {
    return Array.from({ length: this.length }, (_, i) => this.get(i));
  }

  *[Symbol.iterator](): IterableIterator<ShareableItem> {
    for (let i = 0; i < this.length; i++) yield this.get(i);
  }

  toString(): string {
    return `ShareableList([${this.toArray()
      .map((v) => (typeof v === "string" ? JSON.stringify(v) : v instanceof Uint8Array ? `<${v.length} bytes>` : String(v)))
      .join(", ")}], name=${JSON.stringify(this.memory.name)})`;
  }
}

/** `index` as a position in a list of `length` items (negative counts from the end). */
function positionOf(length: number, index: unknown, where: string): number {
  if (!Number.isInteger(index)) throw new TypeError(`ShareableList.${where}: index must be an integer: got ${describe(index)}`);
  const i = (index as number) < 0 ? length + (index as number) : (index as number);
  if (i < 0 || i >= length) throw new RangeError(`ShareableList.${where}: index ${String(index)} is out of range: the list has ${length} items`);
  return i;
}

function same(a: ShareableItem, b: ShareableItem): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

registerShareable<ShareableList, { name: string; buffer: SharedArrayBuffer }>({
  kind: "multiprocessing.ShareableList",
  module: import.meta.url,
  is: (value): value is ShareableList => value instanceof ShareableList,
  encode(list, boundary, where) {
    if (boundary === "process") throw notAcrossProcesses("ShareableList", where);
    return { name: list.shm.name, buffer: list.shm.sharedBuffer };
  },
  decode: ({ name, buffer }) => ShareableList.fromMemory(SharedMemory.fromShared(name, buffer)),
});
