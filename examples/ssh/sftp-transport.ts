/**
 * The lesson's SFTP example: a Transport connected with a password, an SFTPClient on it, one put
 * and one get, then close. Paths and host come from the environment:
 *
 *   SHOAL_SSH_HOST=127.0.0.1 SHOAL_SSH_PORT=22 SHOAL_SSH_USER=zhangsan SHOAL_SSH_PASSWORD=123 \
 *   SHOAL_SFTP_LOCAL=/tmp/location.py SHOAL_SFTP_REMOTE=/tmp/test.py \
 *   SHOAL_SFTP_GET_REMOTE=/tmp/test.py SHOAL_SFTP_GET_LOCAL=/tmp/back.py \
 *     node dist/examples/ssh/sftp-transport.js
 */
import { SFTPClient, Transport } from "../../src/ssh/index.js";

const env = process.env;

// 定义sftp连接socket (the connection)
const transport = new Transport([env["SHOAL_SSH_HOST"] ?? "hostname", Number(env["SHOAL_SSH_PORT"] ?? 22)]);
// 创建连接
await transport.connect({ username: env["SHOAL_SSH_USER"] ?? "zhangsan", password: env["SHOAL_SSH_PASSWORD"] ?? "123" });
const sftp = await SFTPClient.fromTransport(transport);
// 将location.py上传至服务器/tmp/test.py (upload location.py to the server as /tmp/test.py)
await sftp.put(env["SHOAL_SFTP_LOCAL"] ?? "/tmp/location.py", env["SHOAL_SFTP_REMOTE"] ?? "/tmp/test.py");
await sftp.get(env["SHOAL_SFTP_GET_REMOTE"] ?? "remove_path", env["SHOAL_SFTP_GET_LOCAL"] ?? "local_path");
await transport.close();
console.log("put and get done");
