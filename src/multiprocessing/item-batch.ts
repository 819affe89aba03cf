/**
 * A batch of queue items (each already serialized) as one buffer: a 4-byte big-endian length before
 * each item's bytes.
 *
 * Why: an array of buffers inside a message is serialized buffer by buffer through a JavaScript
 * host-object callback on both sides, which cost more than the items themselves for small ones.
 * One buffer crosses as one block of bytes. Unpacked items are views of the batch (no copy).
 */

/** The items in one buffer. */
export function packItems(items: readonly Uint8Array[]): Buffer {
  let size = 0;
  for (const item of items) size += 4 + item.byteLength;
  const packed = Buffer.allocUnsafe(size);
  let at = 0;
  for (const item of items) {
    packed.writeUInt32BE(item.byteLength, at);
    packed.set(item, at + 4);
    at += 4 + item.byteLength;
  }
  return packed;
}

/** The items of a packed batch; throws a TypeError on bytes that are not one. */
export function unpackItems(packed: unknown, where: string): Buffer[] {
  if (!(packed instanceof Uint8Array)) throw new TypeError(`${where}: expected a packed batch of items`);
  const bytes = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  const items: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 4 > bytes.length) throw new TypeError(`${where}: a packed batch of items ends inside a length`);
    const size = bytes.readUInt32BE(at);
    if (at + 4 + size > bytes.length) throw new TypeError(`${where}: a packed batch of items ends inside an item`);
    items.push(bytes.subarray(at + 4, at + 4 + size));
    at += 4 + size;
  }
  return items;
}
