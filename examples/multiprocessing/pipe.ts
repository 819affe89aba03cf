/**
 * The lesson's Pipe: the child sends a list through its end and closes it; the parent receives it.
 *
 * The Python original:
 *
 *     from multiprocessing import Process, Pipe
 *
 *     def f(conn):
 *         conn.send([42, None, 'hello'])
 *         conn.close()
 *
 *     if __name__ == '__main__':
 *         parent_conn, child_conn = Pipe()
 *         p = Process(target=f, args=(child_conn,))
 *         p.start()
 *         print(parent_conn.recv())   # prints "[42, None, 'hello']"
 *         p.join()
 *
 * `Pipe()` is async in Node (it connects a socket pair). Passing `childConn` to the child moves
 * that end there.
 *
 * Run it: `node dist/examples/multiprocessing/pipe.js`.
 */
import { Pipe, Process, type Connection } from "../../src/multiprocessing/index.js";

async function f(conn: Connection): Promise<void> {
  await conn.send([42, null, "hello"]);
  conn.close();
}

const [parentConn, childConn] = await Pipe();
const p = new Process({ target: f, args: [childConn] });
p.start();
console.log(await parentConn.recv()); // prints "[ 42, null, 'hello' ]"
await p.join();
