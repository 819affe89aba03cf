/**
 * V8's compiled code for the `shoal` command, kept between runs, as Python keeps `__pycache__` and
 * Node 22 keeps its own with `module.enableCompileCache()` (Node 20, the floor, has none).
 *
 * Compiling the command's bundle and the packages it requires (ssh2 and its helpers) costs 35–60 ms
 * of CPU per run, most of it before the first connection; with the cache V8 skips the parsing. On
 * two cores a fleet run is CPU-bound, so that time comes off the run (2–6% of `run -b` on 100 hosts).
 *
 * One file per command, Node version and install of shoal in `$XDG_CACHE_HOME/shoal` (default
 * `~/.cache/shoal`): a run reads only its own code (one file for every install made each run read
 * them all, megabytes more of peak memory on a machine with a few clones).
 * Each entry is kept with the CRC-32 of the source it was made from (V8 itself only compares the
 * length) and the CRC-32 of the data (V8 does not check the data in release builds), so an edited
 * package or a damaged file is compiled afresh, never run. The data is code that will run: the folder
 * and its files are used only when they belong to the user and no one else can write to them, and
 * only regular files are read (a FIFO would block, a device never end). `NODE_DISABLE_COMPILE_CACHE=1`
 * (Node's own switch) turns it off; a folder that cannot be written leaves the command as it was,
 * only slower.
 *
 * The cache is written at most once per run, when something was compiled without it: when a fleet
 * command is about to connect (before it changes V8's flags, which a cache records and must match),
 * or when another command exits with status 0. What compiles after that point is not cached.
 */
import { closeSync, constants, existsSync, fstatSync, mkdirSync, openSync, readSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import Module from "node:module";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, sep } from "node:path";
import vm from "node:vm";
import zlib from "node:zlib";

const FLUSH = Symbol.for("shoal.compileCache.flush");
const MAGIC = "shoal-compile-cache-2\n";

/**
 * Writes the cache now if this run compiled anything it lacked, and stops adding to it: called
 * before V8's flags change (see memory.ts). Nothing happens without a cache (a library user's program).
 */
export function flushCompileCache(): void {
  (globalThis as { [FLUSH]?: () => void })[FLUSH]?.();
}

/** Where the cache files are: `$XDG_CACHE_HOME/shoal`, or `~/.cache/shoal` (a relative `$XDG_CACHE_HOME` is ignored, as the XDG spec says). */
export function compileCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env["XDG_CACHE_HOME"];
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), ".cache"), "shoal");
}

/** The most a cache file may hold: a command's code takes about 1 MB. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** Whether a file or folder is the user's own, and no one else can write to it. */
function ours(stat: { uid: number; mode: number }): boolean {
  return (process.getuid === undefined || stat.uid === process.getuid()) && (stat.mode & 0o022) === 0;
}

/** The cache file's bytes (its first `upTo`), if it is a regular file of ours of a sane size; throws otherwise. */
function readOwnFile(file: string, upTo = Infinity): Buffer {
  // O_NONBLOCK: opening a FIFO does not wait for a writer; O_NOFOLLOW: no symlink planted in its place.
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() || !ours(stat) || stat.size > MAX_FILE_BYTES) throw new Error("not a cache file of ours");
    const bytes = Buffer.allocUnsafe(Math.min(stat.size, upTo));
    let read = 0;
    while (read < bytes.length) {
      const n = readSync(fd, bytes, read, bytes.length - read, read);
      if (n === 0) throw new Error("truncated");
      read += n;
    }
    return bytes;
  } finally {
    closeSync(fd);
  }
}

interface Entry {
  sourceCrc: number;
  data: Buffer;
}

type Crc32 = (data: string | Uint8Array) => number;

export class CompileCache {
  readonly #file: string;
  readonly #crc32: Crc32;
  readonly #entries: Map<string, Entry>;
  /** What this run compiled before the flush, to write back. */
  readonly #compiled = new Map<string, { sourceCrc: number; script: vm.Script }>();
  #stale = false;
  #closed = false;

  private constructor(file: string, crc32: Crc32, entries: Map<string, Entry>) {
    this.#file = file;
    this.#crc32 = crc32;
    this.#entries = entries;
  }

  /**
   * The cache named `name` in `dir` (`name` tells runs that compile different code apart, such as
   * the command's name) for the install whose files are in the folder `install`; null when turned
   * off, or on a Node without `zlib.crc32` (before 20.15).
   */
  static open(dir: string, name: string, install: string, env: NodeJS.ProcessEnv = process.env): CompileCache | null {
    const crc32 = (zlib as { crc32?: Crc32 }).crc32;
    if (!crc32 || env["NODE_DISABLE_COMPILE_CACHE"]) return null;
    const file = join(dir, `compile-${process.version}-${process.arch}-${name.replace(/[^a-z0-9-]/gi, "_")}-${crc32(install).toString(16).padStart(8, "0")}.bin`);
    try {
      // Another user's folder (a shared XDG_CACHE_HOME) could hold code of theirs: no cache then.
      if (existsSync(dir) && !ours(statSync(dir))) return null;
    } catch {
      return null;
    }
    let entries = new Map<string, Entry>();
    try {
      entries = parse(readOwnFile(file), crc32);
    } catch {
      /* none yet, unreadable, or not ours: everything compiles afresh */
    }
    return new CompileCache(file, crc32, entries);
  }

  /** The cache file (for tests and diagnostics). */
  get file(): string {
    return this.#file;
  }

  /**
   * Compiles `source` as `filename`, from the cache when it holds code made from this very source.
   * `bytes`, the file `source` was decoded from, if at hand: the CRC is taken of it (see launcher.ts).
   */
  compile(source: string, filename: string, bytes?: Uint8Array): vm.Script {
    if (this.#closed) return new vm.Script(source, { filename });
    const sourceCrc = this.#crc32(bytes ?? source);
    const entry = this.#entries.get(filename);
    const cachedData = entry?.sourceCrc === sourceCrc ? entry.data : undefined;
    const script = new vm.Script(source, { filename, ...(cachedData ? { cachedData } : {}) });
    if (!cachedData || script.cachedDataRejected) this.#stale = true;
    this.#compiled.set(filename, { sourceCrc, script });
    return script;
  }

  /**
   * Writes what this run compiled, if anything was missing or out of date, and stops: later
   * compilations are neither looked up nor kept. Failures (a read-only home) are ignored.
   */
  flush(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      if (this.#stale) this.#write();
    } finally {
      // The file's bytes (megabytes) would otherwise stay referenced, as peak memory, for the whole
      // run: V8 reads cached data only while it compiles.
      this.#entries.clear();
      this.#compiled.clear();
    }
  }

  #write(): void {
    try {
      const written = new Map<string, { sourceCrc: number; data: Buffer }>();
      // Code this run did not compile again (a module only some runs load) stays, while its file does.
      for (const [filename, entry] of this.#entries) if (!this.#compiled.has(filename) && existsSync(filename)) written.set(filename, entry);
      for (const [filename, { sourceCrc, script }] of this.#compiled) written.set(filename, { sourceCrc, data: script.createCachedData() });
      const parts: Buffer[] = [Buffer.from(MAGIC)];
      let length = MAGIC.length;
      for (const [filename, { sourceCrc, data }] of written) {
        const name = Buffer.from(filename);
        const head = Buffer.alloc(16);
        head.writeUInt32LE(name.length, 0);
        head.writeUInt32LE(sourceCrc, 4);
        head.writeUInt32LE(data.length, 8);
        head.writeUInt32LE(this.#crc32(data), 12);
        length += head.length + name.length;
        const padding = Buffer.alloc(aligned(length) - length);
        length += padding.length + data.length;
        parts.push(head, name, padding, data);
      }
      const dir = dirname(this.#file);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      if (!ours(statSync(dir))) return;
      // Runs at once must not read each other's half-written file. "wx": never through a file or
      // link already there.
      const tmp = `${this.#file}.${process.pid}.tmp`;
      try {
        writeFileSync(tmp, Buffer.concat(parts), { mode: 0o600, flag: "wx" });
        renameSync(tmp, this.#file);
      } catch (error) {
        rmSync(tmp, { force: true });
        throw error;
      }
      this.#forgetLeftovers();
    } catch {
      /* an unwritable cache folder only costs the time it would have saved */
    }
  }

  /** Node's own require() compiles the files of `node_modules` through this cache from now on. */
  cacheRequiredPackages(): void {
    const proto = Module.prototype as unknown as { _compile(this: NodeModule, content: string, filename: string): unknown };
    const compileModule = proto._compile;
    const inPackage = `${sep}node_modules${sep}`;
    const cached = (content: string, filename: string): vm.Script | undefined =>
      this.#closed || !filename.includes(inPackage) || content.startsWith("#!") ? undefined : this.compile(commonJsWrapper(content), filename);
    proto._compile = function (this: NodeModule, content: string, filename: string): unknown {
      const script = cached(content, filename);
      if (!script) return compileModule.call(this, content, filename);
      const wrapper = script.runInThisContext() as (...args: unknown[]) => unknown;
      return wrapper.call(this.exports, this.exports, requireFor(this), this, filename, dirname(filename));
    };
  }

  /** Makes `flushCompileCache()` reach this cache, and writes it at a successful exit if not before. */
  install(): void {
    (globalThis as { [FLUSH]?: () => void })[FLUSH] = () => this.flush();
    process.once("exit", (code) => {
      if (code === 0) this.flush();
    });
  }

  /**
   * Caches of other Node versions, of installs since removed, or named as before installs had a file
   * each would never be read again, and a temporary file an hour old is a write that was cut short
   * (a killed process): they go.
   */
  #forgetLeftovers(): void {
    const dir = dirname(this.#file);
    const current = `compile-${process.version}-${process.arch}-`;
    for (const name of readdirSync(dir)) {
      if (!name.startsWith("compile-")) continue;
      const path = join(dir, name);
      if (path === this.#file) continue;
      const gone = name.endsWith(".tmp")
        ? Date.now() - statSync(path).mtimeMs > 3_600_000
        : !name.startsWith(current) || !/-[0-9a-f]{8}\.bin$/.test(name) || !installStillThere(path);
      if (gone) rmSync(path, { force: true });
    }
  }
}

/** A CommonJS module's source as a function of what Node gives it, for a `vm.Script` (as `Module.wrap`). */
export function commonJsWrapper(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) { ${source}\n})`;
}

/** `require` as Node gives it to a module: relative to the module, with its resolve, cache and main. */
function requireFor(module: NodeModule): NodeJS.Require {
  const internals = Module as unknown as {
    _resolveFilename(request: string, parent: NodeModule, isMain: boolean, options?: { paths?: string[] }): string;
    _cache: NodeJS.Dict<NodeModule>;
    _extensions: NodeJS.RequireExtensions;
  };
  const require = ((id: string) => module.require(id)) as NodeJS.Require;
  const resolve = ((request: string, options?: { paths?: string[] }) => internals._resolveFilename(request, module, false, options)) as NodeJS.RequireResolve;
  resolve.paths = (request: string) => (Module as unknown as { _resolveLookupPaths(r: string, m: NodeModule): string[] | null })._resolveLookupPaths(request, module);
  require.resolve = resolve;
  // The command's entry is an ES module: there is no main CommonJS module, as under Node's own loader.
  require.main = undefined;
  require.cache = internals._cache;
  require.extensions = internals._extensions;
  return require;
}

/**
 * Whether the file the cache's first entry was compiled from (an install's bundle) still exists;
 * true when that cannot be told, so that only a cache known to be orphaned goes.
 */
function installStillThere(file: string): boolean {
  try {
    const head = readOwnFile(file, MAGIC.length + 16 + 4096);
    if (head.length < MAGIC.length + 16 || head.toString("latin1", 0, MAGIC.length) !== MAGIC) return true;
    const nameLength = head.readUInt32LE(MAGIC.length);
    const nameStart = MAGIC.length + 16;
    if (nameStart + nameLength > head.length) return true;
    return existsSync(head.toString("utf8", nameStart, nameStart + nameLength));
  } catch {
    return true;
  }
}

/** The entries of a cache file; throws on anything malformed. */
function parse(file: Buffer, crc32: Crc32): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  if (file.toString("latin1", 0, MAGIC.length) !== MAGIC) throw new Error("not a compile cache");
  let at = MAGIC.length;
  while (at < file.length) {
    if (at + 16 > file.length) throw new Error("truncated");
    const nameLength = file.readUInt32LE(at);
    const sourceCrc = file.readUInt32LE(at + 4);
    const dataLength = file.readUInt32LE(at + 8);
    const dataCrc = file.readUInt32LE(at + 12);
    at += 16;
    if (at + nameLength + dataLength > file.length) throw new Error("truncated");
    const filename = file.toString("utf8", at, at + nameLength);
    at = aligned(at + nameLength);
    if (at + dataLength > file.length) throw new Error("truncated");
    const data = file.subarray(at, at + dataLength);
    at += dataLength;
    if (crc32(data) !== dataCrc) throw new Error("damaged");
    entries.set(filename, { sourceCrc, data });
  }
  return entries;
}

/**
 * Where the data of an entry starts: on 8 bytes, as V8 wants it (given data it must align, V8 copies
 * it to a block of its own, and freeing that block costs peak memory, as launcher.ts says).
 */
function aligned(offset: number): number {
  return Math.ceil(offset / 8) * 8;
}
