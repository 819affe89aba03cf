/**
 * The lesson's process synchronization: ten processes print under one Lock, so that their lines
 * never mix.
 *
 * The Python original:
 *
 *     from multiprocessing import Process, Lock
 *
 *     def f(l, i):
 *         l.acquire()
 *         try:
 *             print('hello world', i)
 *         finally:
 *             l.release()
 *
 *     if __name__ == '__main__':
 *         lock = Lock()
 *         for num in range(10):
 *             Process(target=f, args=(lock, num)).start()
 *
 * As in Python, the parent does not join: it stays alive until its (non-daemon) children end.
 *
 * Run it: `node dist/examples/multiprocessing/lock.js`.
 */
import { Lock, Process } from "../../src/multiprocessing/index.js";

async function f(l: Lock, i: number): Promise<void> {
  await l.acquire();
  try {
    console.log("hello world", i);
  } finally {
    await l.release();
  }
}

const lock = new Lock();
for (let num = 0; num < 10; num++) {
  new Process({ target: f, args: [lock, num] }).start();
}
