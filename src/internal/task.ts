/**
 * Code that runs elsewhere: turning a function into a reference another thread or process can load.
 *
 * Python pickles a function by reference (module + name). shoal does the same with ES modules, and
 * adds a second form for small self-contained functions:
 *
 * 1. **An exported module function.** `toTaskRef(work, where)` finds the module that defines `work`
 *    (through an in-process `node:inspector` session: the function's `[[FunctionLocation]]` names a
 *    script, the debugger names its URL), and the other side imports that module and takes the export
 *    of the same name. The explicit form needs no lookup: `task(import.meta.url, "work")`.
 * 2. **A self-contained function** (not exported, e.g. an arrow written inline): shipped by its source
 *    text (`fn.toString()`) and re-created on the other side. It may use its arguments, globals and
 *    `await import("node:fs")` (absolute URLs or bare specifiers), NOTHING from its closure: variables
 *    of the enclosing function or module do not exist over there.
 *
 * What cannot be shipped (bound functions, native functions, classes, methods using `super`) throws a
 * TypeError at once that says why and what to do.
 *
 * API (stable; other layers build on it):
 * - `task(moduleUrl, name)` / `task({ module, name })` → a `TaskRef` to an export (typed by `F`).
 * - `toTaskRef(target, where)` → `TaskRef`. Sync; `target` is a function or a `TaskRef`; cached per
 *   function (WeakMap), so pools may call it for every task. `where` names the argument in errors
 *   (`"Thread target"`, `"Pool.apply func"`).
 * - `resolveTaskRef(target, where)` → `Promise<TaskRef>`: the same, rejecting instead of throwing.
 * - A module reference found automatically also carries the function's source (when it has a
 *   shippable one): the loader takes the export only if its source is the same text, and otherwise
 *   (a function defined in the module but not exported) re-creates it from the source.
 * - Functions of the entry script (`node script.js`) travel by their source when they can, because
 *   importing the entry script in a worker would run the whole script again there. Pass
 *   `task(import.meta.url, "name")` to import it anyway (guard its top level with `isMainThread`).
 * - `loadTask(ref)` → `Promise<fn>`: on the receiving side; cached per ref in the loading thread.
 * - `isTaskRef(value)`, `describeTask(ref)`.
 * - `definingModule(fn)` → the URL of the module defining any function (a class's method too), or undefined.
 *
 * A `TaskRef` is a small plain object (structured-cloneable, `v8.serialize`-able).
 */
import { Session } from "node:inspector";
import { pathToFileURL } from "node:url";
import { isAbsolute } from "node:path";
import { isEntryModule } from "./entry-script.js";

/** Any function a task may refer to. */
export type TaskFunction = (...args: never[]) => unknown;

/**
 * What `task(url, name)` refers to when no type is given: a function taking any arguments and
 * returning an unknown value (so `args` type-check, and the result is `unknown`).
 */
export type UntypedTask = (...args: unknown[]) => unknown;

/** A reference to an exported function of an ES module. */
export interface ModuleTaskRef {
  readonly kind: "module";
  /** URL of the module (`import.meta.url` of the defining module). */
  readonly module: string;
  /** Name of the export. */
  readonly name: string;
  /**
   * The function's source, kept only while the reference has not been confirmed yet: if the export
   * turns out to be another function, the loader re-creates this source instead.
   */
  readonly source?: string | undefined;
}

/** A self-contained function shipped by its source text. */
export interface SourceTaskRef {
  readonly kind: "source";
  /** The function's name, for messages. */
  readonly name: string;
  /** `fn.toString()`, or an expression that evaluates to the function. */
  readonly source: string;
}

/**
 * A function that can be loaded in another thread or process. `F` is the function's type; it exists
 * for type checking only (a phantom) and is never present at run time.
 */
export type TaskRef<F extends TaskFunction = TaskFunction> = (ModuleTaskRef | SourceTaskRef) & { readonly __task?: F };

const PROBE_KEY = "__shoal_task_probe__";

/** Makes a reference to the export `name` of the module at `moduleUrl` (usually `import.meta.url`). */
// NoInfer: without a type argument, F is UntypedTask, not guessed from where the reference goes
// (a Thread's target would make it a function of `never`).
export function task<F extends TaskFunction = UntypedTask>(moduleUrl: string, name: string): TaskRef<NoInfer<F>>;
export function task<F extends TaskFunction = UntypedTask>(spec: { module: string; name: string }): TaskRef<NoInfer<F>>;
export function task<F extends TaskFunction = UntypedTask>(
  moduleOrSpec: string | { module: string; name: string },
  maybeName?: string,
): TaskRef<F> {
  const module = typeof moduleOrSpec === "string" ? moduleOrSpec : moduleOrSpec?.module;
  const name = typeof moduleOrSpec === "string" ? maybeName : moduleOrSpec?.name;
  if (typeof module !== "string" || module === "") throw new TypeError("task: module must be a module URL such as import.meta.url");
  if (typeof name !== "string" || name === "") throw new TypeError("task: name must be the name of an exported function");
  return { kind: "module", module: normalizeModule(module), name };
}

/** Whether `value` is a `TaskRef`. */
export function isTaskRef(value: unknown): value is TaskRef {
  if (typeof value !== "object" || value === null) return false;
  const v = value as { kind?: unknown; name?: unknown; module?: unknown; source?: unknown };
  if (typeof v.name !== "string") return false;
  return (v.kind === "module" && typeof v.module === "string") || (v.kind === "source" && typeof v.source === "string");
}

/** A short human description of a task, for messages: `work (file:///x/m.js)` or `function work`. */
export function describeTask(ref: TaskRef): string {
  return ref.kind === "module" ? `${ref.name} (${ref.module})` : `function ${ref.name || "(anonymous)"}`;
}

const refs = new WeakMap<object, TaskRef>();

/**
 * A `TaskRef` for `target` (a function or a `TaskRef`), synchronously. Cached per function.
 * @param where names the argument in error messages, e.g. `"Thread target"`.
 * @throws TypeError when the function cannot be run elsewhere, saying why and what to do.
 */
export function toTaskRef<F extends TaskFunction>(target: F | TaskRef<F>, where: string): TaskRef<F> {
  if (typeof target !== "function") {
    if (isTaskRef(target)) return target as TaskRef<F>;
    throw new TypeError(`${where} must be a function or a task(moduleUrl, name) reference: got ${kindOf(target)}`);
  }
  const cached = refs.get(target);
  if (cached !== undefined) return cached as TaskRef<F>;
  const ref = makeRef(target, where);
  refs.set(target, ref);
  return ref as TaskRef<F>;
}

/**
 * Like `toTaskRef`, as a promise (kept for callers that are async anyway; rejects instead of throwing).
 */
export function resolveTaskRef<F extends TaskFunction>(target: F | TaskRef<F>, where: string): Promise<TaskRef<F>> {
  try {
    return Promise.resolve(toTaskRef(target, where));
  } catch (error) {
    return Promise.reject(error);
  }
}

function makeRef(fn: TaskFunction, where: string): TaskRef {
  const source = shippableSource(fn);
  const refusal = source === undefined ? whyNotShippable(fn) : undefined;
  if (refusal !== undefined && /^class\b/.test(Function.prototype.toString.call(fn))) {
    throw new TypeError(`${where}: cannot run class ${fn.name || "(anonymous)"} as a task: ${refusal}`);
  }
  // Only a function declaration or an arrow can be a module's export by its name; a method cannot,
  // so a method that cannot travel by its source cannot travel at all.
  const text = Function.prototype.toString.call(fn);
  const exportable = /^(async\s+)?(function\b|\(|[A-Za-z_$][\w$]*\s*=>)/.test(text);
  if (!exportable && source === undefined) {
    throw new TypeError(`${where}: cannot run ${describeFunction(fn)} in another thread or process: ${refusal}`);
  }
  // A method found in a module keeps its module (callers such as Process subclasses need it); the
  // loader takes the export only if it is the same source, so a method still travels by its source.
  const module = fn.name !== "" && !fn.name.startsWith("bound ") ? moduleOf(fn) : undefined;
  // The entry script is not imported again on the other side (that would run the whole script
  // there, as Python's spawn does without `if __name__ == "__main__"`): its functions go by source.
  if (module !== undefined && !(source !== undefined && isEntryModule(module))) return { kind: "module", module, name: fn.name, source };
  if (source !== undefined) return { kind: "source", name: fn.name, source };
  throw new TypeError(`${where}: cannot run ${describeFunction(fn)} in another thread or process: ${refusal}`);
}

function describeFunction(fn: TaskFunction): string {
  return `function ${fn.name || "(anonymous)"}`;
}

/** The source text of a function that can be re-created elsewhere, as an expression; or undefined. */
function shippableSource(fn: TaskFunction): string | undefined {
  let text: string;
  try {
    text = Function.prototype.toString.call(fn);
  } catch {
    return undefined;
  }
  if (/\{\s*\[native code\]\s*\}\s*$/.test(text)) return undefined;
  if (/^class\b/.test(text)) return undefined;
  if (/\bsuper\s*[.([]/.test(text)) return undefined;
  if (/^(async\s+)?(function\b|\(|[A-Za-z_$][\w$]*\s*=>)/.test(text)) return text;
  // A method shorthand (`name(a) { ... }`, `async *name() {}`, `get x() {}`): wrap it in an object.
  if (/^(async\s*)?\*?\s*(get\s+|set\s+)?[\w$[\]"'`. ]+\s*\(/.test(text)) {
    const key = JSON.stringify(fn.name);
    return `(() => { const o = { ${text} }; const d = Object.getOwnPropertyDescriptor(o, Object.keys(o)[0]); return d.value ?? d.get ?? d.set ?? o[${key}]; })()`;
  }
  return undefined;
}

function whyNotShippable(fn: TaskFunction): string {
  const text = (() => {
    try {
      return Function.prototype.toString.call(fn);
    } catch {
      return "";
    }
  })();
  if (fn.name.startsWith("bound ")) {
    return "it is a bound function (fn.bind(...)), whose target and bound arguments cannot be sent; pass the original function and put the bound values in args";
  }
  if (/\[native code\]/.test(text)) return "it is a native (built-in) function, which has no source to send; wrap the call in a function of your own and export it";
  if (/^class\b/.test(text)) return "it is a class; pass an exported function (or task(import.meta.url, \"name\")) that constructs it";
  if (/\bsuper\b/.test(text)) return "it is a method that uses `super`, which exists only on its object; export a plain function instead";
  return "its source cannot be re-created on its own; export it from an ES module, or pass task(import.meta.url, \"name\")";
}

// --- Finding the module that defines a function -------------------------------------------------

/**
 * The URL of the module (file) that defines `fn`, found through the inspector, or undefined (built-in,
 * eval'd or native code). Not cached: cache the answer per function if you call it often.
 */
export function definingModule(fn: (...args: never[]) => unknown): string | undefined {
  if (typeof fn !== "function") return undefined;
  return moduleOf(fn as TaskFunction);
}

let session: Session | undefined;
const scriptUrls = new Map<string, string>();

/** The file URL of the ES module (or CommonJS file) defining `fn`, or undefined. */
function moduleOf(fn: TaskFunction): string | undefined {
  let scriptId: string | undefined;
  try {
    scriptId = scriptIdOf(fn);
  } catch {
    return undefined;
  }
  if (scriptId === undefined) return undefined;
  let url = scriptUrls.get(scriptId);
  if (url === undefined) {
    refreshScriptUrls();
    url = scriptUrls.get(scriptId);
  }
  if (url === undefined || url === "") return undefined;
  if (url.startsWith("file:")) return url;
  if (isAbsolute(url)) return pathToFileURL(url).href;
  return undefined; // node: internals, eval code, data: URLs: not importable by name.
}

function connected(): Session {
  if (session === undefined) {
    session = new Session();
    session.connect();
    session.on("Debugger.scriptParsed", (message) => {
      const params = message.params as { scriptId: string; url: string };
      scriptUrls.set(params.scriptId, params.url);
    });
  }
  return session;
}

/** `post` of an in-process session answers synchronously; this helper turns that into a return value. */
function postSync<T>(method: string, params?: object): T {
  const s = connected();
  let result: T | undefined;
  let failure: Error | null = null;
  let answered = false;
  s.post(method, params ?? {}, (error: Error | null, value?: object) => {
    failure = error;
    result = value as T;
    answered = true;
  });
  if (!answered) throw new Error(`inspector ${method} did not answer synchronously`);
  if (failure) throw failure as Error;
  return result as T;
}

function scriptIdOf(fn: TaskFunction): string | undefined {
  const global = globalThis as Record<string, unknown>;
  global[PROBE_KEY] = fn;
  let objectId: string | undefined;
  try {
    const evaluated = postSync<{ result: { objectId?: string } }>("Runtime.evaluate", { expression: `globalThis.${PROBE_KEY}` });
    objectId = evaluated.result.objectId;
  } finally {
    delete global[PROBE_KEY];
  }
  if (objectId === undefined) return undefined;
  try {
    const props = postSync<{ internalProperties?: Array<{ name: string; value?: { value?: { scriptId?: string } } }> }>(
      "Runtime.getProperties",
      { objectId, ownProperties: true },
    );
    const location = props.internalProperties?.find((p) => p.name === "[[FunctionLocation]]");
    return location?.value?.value?.scriptId;
  } finally {
    postSync("Runtime.releaseObject", { objectId });
  }
}

/** Enabling the debugger reports every script parsed so far; it is disabled again at once. */
function refreshScriptUrls(): void {
  postSync("Debugger.enable");
  postSync("Debugger.disable");
}


function normalizeModule(module: string): string {
  if (isAbsolute(module)) return pathToFileURL(module).href;
  return module;
}

// --- Loading on the other side ------------------------------------------------------------------

const loaded = new Map<string, Promise<TaskFunction>>();

/**
 * The function a `TaskRef` refers to, in this thread. Cached per reference.
 * @throws TypeError when the module has no such export, or the source does not evaluate to a function.
 */
export function loadTask<F extends TaskFunction>(ref: TaskRef<F>): Promise<F> {
  if (!isTaskRef(ref)) return Promise.reject(new TypeError(`loadTask: not a task reference: ${kindOf(ref)}`));
  const key = ref.kind === "module" ? `m\0${ref.module}\0${ref.name}\0${ref.source ?? ""}` : `s\0${ref.source}`;
  let found = loaded.get(key);
  if (found === undefined) {
    found = load(ref);
    loaded.set(key, found);
    found.catch(() => loaded.delete(key));
  }
  return found as Promise<F>;
}

async function load(ref: TaskRef): Promise<TaskFunction> {
  if (ref.kind === "source") return fromSource(ref.name, ref.source);
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(ref.module)) as Record<string, unknown>;
  } catch (error) {
    if (ref.source !== undefined) return fromSource(ref.name, ref.source);
    throw new TypeError(`Cannot load task ${describeTask(ref)}: importing the module failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
  const exported = namespace[ref.name];
  if (typeof exported === "function") {
    if (ref.source === undefined || Function.prototype.toString.call(exported) === ref.source) return exported as TaskFunction;
  }
  if (ref.source !== undefined) {
    // Exported under another name than its own (`export default function f`, `export { f as g }`):
    // the export with its name and source, which keeps the module's other functions in reach.
    for (const value of Object.values(namespace)) {
      if (typeof value === "function" && value.name === ref.name && Function.prototype.toString.call(value) === ref.source) return value as TaskFunction;
    }
    return fromSource(ref.name, ref.source);
  }
  throw new TypeError(`Cannot load task ${describeTask(ref)}: the module has no exported function named "${ref.name}"`);
}

function fromSource(name: string, source: string): TaskFunction {
  let made: unknown;
  try {
    made = new Function(`"use strict"; return (${source});`)();
  } catch (error) {
    throw new TypeError(`Cannot load task function ${name || "(anonymous)"} from its source: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
  if (typeof made !== "function") throw new TypeError(`Cannot load task function ${name || "(anonymous)"}: its source is not a function`);
  const fn = made as (...args: unknown[]) => unknown;
  // A ReferenceError from a shipped function is almost always a variable of its closure: say so.
  const explain = (error: unknown): never => {
    if (error instanceof ReferenceError && !error.message.includes("shipped by its source")) {
      error.message += ` (function ${name || "(anonymous)"} was shipped by its source, so it cannot use variables from its closure; pass them as arguments, or export the function from its module)`;
    }
    throw error;
  };
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    try {
      const result = fn.apply(this, args);
      if (result instanceof Promise) return result.catch(explain);
      return result;
    } catch (error) {
      return explain(error);
    }
  };
  Object.defineProperty(wrapped, "name", { value: name });
  return wrapped as TaskFunction;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : typeof value;
}
