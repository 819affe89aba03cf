/**
 * `obj[i]` for shoal's array-like objects over shared memory (the worker context's Array,
 * ShareableList): a Proxy that answers canonical indices from `get`/`set` and everything else from
 * the object itself. Classes using it keep their state in non-#private fields: the proxy stands in
 * for `this` in their methods, and #private fields cannot be reached through it.
 */

/** What the proxy needs of the object. */
export interface IndexedAccess<T> {
  readonly length: number;
  get(index: number): T;
  set(index: number, value: T): void;
}

/** Canonical array indices ("0", "17"); undefined for every other key. */
function indexOf(key: string | symbol): number | undefined {
  if (typeof key !== "string" || key === "" || key.length > 15) return undefined;
  const n = Number(key);
  return Number.isInteger(n) && n >= 0 && String(n) === key ? n : undefined;
}

/** `target` with `target[i]` reading (undefined past the end, as a typed array) and writing element i. */
export function withIndexAccess<O extends IndexedAccess<T>, T>(target: O): O {
  return new Proxy(target, {
    get(object, key, receiver) {
      const i = indexOf(key);
      return i === undefined ? Reflect.get(object, key, receiver) : i < object.length ? object.get(i) : undefined;
    },
    set(object, key, value, receiver) {
      const i = indexOf(key);
      if (i === undefined) return Reflect.set(object, key, value, receiver);
      object.set(i, value as T);
      return true;
    },
    has(object, key) {
      const i = indexOf(key);
      return i === undefined ? Reflect.has(object, key) : i < object.length;
    },
  });
}
