/**
 * What a manager serves: its registered types (Python's `BaseManager._registry`). Each type has a
 * factory, the methods clients may call (`exposed`), the methods whose results are served as new
 * shared objects rather than copied back (`methodToTypeid`), and the proxy class clients build.
 *
 * Exposure is the server's only door: a call names an object id and a method; the server answers
 * only methods in the type's `exposed` set. The default set is the object's public methods (found
 * on its prototypes, names not starting with `_`, never `constructor` nor anything of
 * `Object.prototype`); an explicit list is checked against the same forbidden names when the type
 * is registered.
 */
import { describe } from "../../internal/options.js";
import type { TaskFunction, TaskRef } from "../../internal/task.js";

/** A factory of shared objects: a function, or a task reference the server process loads. */
export type Factory = TaskFunction | TaskRef;

/** How `register` describes a type. */
export interface TypeSpec {
  readonly typeid: string;
  /** Makes the object; undefined for a type only this side's clients name (`connect()`). */
  readonly factory: Factory | undefined;
  readonly exposed: readonly string[] | undefined;
  readonly methodToTypeid: Readonly<Record<string, string>> | undefined;
  /** Name of the proxy class in the proxy table. */
  readonly proxy: string;
  /** Built-in: proxies of this server among the factory's arguments become their objects. @internal */
  readonly unwrapArgs?: boolean | undefined;
}

const FORBIDDEN = new Set<string>([
  ...Object.getOwnPropertyNames(Object.prototype),
  "prototype",
  "then",
]);

const NAME = /^[A-Za-z_$][\w$]*$/;
const TYPEID = /^[A-Za-z$][\w$]*$/;

/** Whether `name` may ever be called remotely. */
export function isCallableName(name: unknown): name is string {
  return typeof name === "string" && NAME.test(name) && !FORBIDDEN.has(name);
}

/** Checks a typeid given to `register`. */
export function checkTypeid(typeid: unknown): string {
  if (typeof typeid !== "string" || !TYPEID.test(typeid)) {
    throw new TypeError(`register: typeid must be an identifier (letters, digits, _ and $): got ${describe(typeid)}`);
  }
  return typeid;
}

/** Checks an `exposed` list given to `register`. */
export function checkExposed(exposed: unknown, typeid: string): readonly string[] | undefined {
  if (exposed === undefined) return undefined;
  if (!Array.isArray(exposed)) throw new TypeError(`register ${typeid}: exposed must be an array of method names`);
  for (const name of exposed) {
    if (!isCallableName(name)) throw new TypeError(`register ${typeid}: cannot expose ${describe(name)}: not a method name a client may call`);
  }
  return Object.freeze([...exposed]);
}

/** Checks a `methodToTypeid` map given to `register`. */
export function checkMethodToTypeid(map: unknown, typeid: string): Readonly<Record<string, string>> | undefined {
  if (map === undefined) return undefined;
  if (typeof map !== "object" || map === null) throw new TypeError(`register ${typeid}: methodToTypeid must be an object`);
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [method, target] of Object.entries(map)) {
    if (!isCallableName(method)) throw new TypeError(`register ${typeid}: methodToTypeid names ${describe(method)}, which is not a method name`);
    out[method] = checkTypeid(target);
  }
  return Object.freeze(out);
}

const publicMethods = new WeakMap<object, ReadonlySet<string>>();

/** The public methods of `obj` (the default `exposed`), cached per prototype. */
export function publicMethodsOf(obj: object): ReadonlySet<string> {
  const proto = Object.getPrototypeOf(obj) as object | null;
  const cached = proto === null ? undefined : publicMethods.get(proto);
  if (cached !== undefined) return cached;
  const names = new Set<string>();
  for (let p: object | null = obj; p !== null && p !== Object.prototype && p !== Function.prototype; p = Object.getPrototypeOf(p) as object | null) {
    for (const name of Object.getOwnPropertyNames(p)) {
      if (name.startsWith("_") || !isCallableName(name)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(p, name);
      if (descriptor !== undefined && typeof descriptor.value === "function") names.add(name);
    }
  }
  if (proto !== null && Object.getOwnPropertyNames(obj).length === 0) publicMethods.set(proto, names);
  return names;
}
