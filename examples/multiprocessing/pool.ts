/**
 * The lesson's process pool: `Pool(5)`, ten tasks through `applyAsync` with a callback, then
 * `close()` and `join()`. Five run at a time; `Bar` runs in the main process as each one ends.
 *
 * The Python original:
 *
 *     from multiprocessing import Process, Pool
 *     import time
 *
 *     def Foo(i):
 *         time.sleep(2)
 *         return i + 100
 *
 *     def Bar(arg):
 *         print('-->exec done:', arg)
 *
 *     pool = Pool(5)
 *     for i in range(10):
 *         pool.apply_async(func=Foo, args=(i,), callback=Bar)
 *     print('end')
 *     pool.close()
 *     pool.join()  # wait for the pool's processes to finish; without it the program ends at once
 *
 * Run it: `node dist/examples/multiprocessing/pool.js`. `SHOAL_EXAMPLE_SLEEP_MS=200` shortens the
 * two-second sleep (the test does).
 */
import { Pool } from "../../src/multiprocessing/index.js";

/**
 * Runs in a worker process. Functions of the script being run travel by their source, so Foo may
 * use its arguments and globals (`setTimeout`, `process`), not variables of this module.
 */
async function Foo(i: number): Promise<number> {
  const ms = Number(process.env.SHOAL_EXAMPLE_SLEEP_MS ?? 2000);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return i + 100;
}

/** Runs here, in the main process, once per finished task. */
function Bar(arg: number): void {
  console.log("-->exec done:", arg);
}

const pool = new Pool({ processes: 5 });
for (let i = 0; i < 10; i++) {
  pool.applyAsync(Foo, [i], { callback: Bar });
}
console.log("end");
pool.close();
await pool.join(); // wait for the pool's processes to finish; without it the program would end at once
