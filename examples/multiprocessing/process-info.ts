/**
 * The lesson's expanded example: `info()` shows the module name, the parent's pid and the process's
 * own pid, in the main process and then in the child running `f('bob')`.
 *
 * The Python original:
 *
 *     from multiprocessing import Process
 *     import os
 *
 *     def info(title):
 *         print(title)
 *         print('module name:', __name__)
 *         print('parent process:', os.getppid())
 *         print('process id:', os.getpid())
 *         print("\n\n")
 *
 *     def f(name):
 *         info('\033[31;1mfunction f\033[0m')
 *         print('hello', name)
 *
 *     if __name__ == '__main__':
 *         info('\033[32;1mmain process line\033[0m')
 *         p = Process(target=f, args=('bob',))
 *         p.start()
 *         p.join()
 *
 * `f` uses `info`, so it cannot travel by its source: it is exported (and named with
 * `task(import.meta.url, "f")`), and the child imports this
 * module to find it, as Python's spawn re-imports the main module (as `__mp_main__`). The
 * `isMainModule(import.meta)` guard is Python's `if __name__ == '__main__':` and keeps the child
 * from running the main part again.
 *
 * Run it: `node dist/examples/multiprocessing/process-info.js`.
 */
import { Process, isMainModule, task } from "../../src/multiprocessing/index.js";

export function info(title: string): void {
  console.log(title);
  console.log("module name:", isMainModule(import.meta) ? "__main__" : "__mp_main__");
  console.log("parent process:", process.ppid);
  console.log("process id:", process.pid);
  console.log("\n\n");
}

export function f(name: string): void {
  info("\x1b[31;1mfunction f\x1b[0m");
  console.log("hello", name);
}

if (isMainModule(import.meta)) {
  info("\x1b[32;1mmain process line\x1b[0m");
  const p = new Process({ target: task<typeof f>(import.meta.url, "f"), args: ["bob"] });
  p.start();
  await p.join();
}
