/**
 * The lesson's first process: `f('bob')` runs in a child process, the parent waits for it.
 *
 * The Python original:
 *
 *     from multiprocessing import Process
 *     import time
 *
 *     def f(name):
 *         time.sleep(2)
 *         print('hello', name)
 *
 *     if __name__ == '__main__':
 *         p = Process(target=f, args=('bob',))
 *         p.start()
 *         p.join()
 *
 * Run it: `node dist/examples/multiprocessing/process-hello.js` (`SHOAL_EXAMPLE_SLEEP_MS=100`
 * shortens the two-second sleep; the test does).
 */
import { Process } from "../../src/multiprocessing/index.js";

/** Runs in the child. Not exported: it travels by its source, so it may use only its arguments and globals. */
async function f(name: string): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, Number(process.env.SHOAL_EXAMPLE_SLEEP_MS ?? 2000)));
  console.log("hello", name);
}

const p = new Process({ target: f, args: ["bob"] });
p.start();
await p.join();
