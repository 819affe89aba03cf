/**
 * The lesson's Queue between processes: the child puts a list, the parent gets it.
 *
 * The Python original:
 *
 *     from multiprocessing import Process, Queue
 *
 *     def f(q):
 *         q.put([42, None, 'hello'])
 *
 *     if __name__ == '__main__':
 *         q = Queue()
 *         p = Process(target=f, args=(q,))
 *         p.start()
 *         print(q.get())    # prints "[42, None, 'hello']"
 *         p.join()
 *
 * `None` becomes `null`. The queue lives in the parent; passed to the child as an argument, it
 * arrives there as a working queue.
 *
 * Run it: `node dist/examples/multiprocessing/queue.js`.
 */
import { Process, Queue } from "../../src/multiprocessing/index.js";

async function f(q: Queue<unknown[]>): Promise<void> {
  await q.put([42, null, "hello"]);
}

const q = new Queue<unknown[]>();
const p = new Process({ target: f, args: [q] });
p.start();
console.log(await q.get()); // prints "[ 42, null, 'hello' ]"
await p.join();
