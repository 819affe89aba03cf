/**
 * The lesson's SSH client: connect with a password, run `df`, read its output, close.
 * The host comes from the environment (the lesson's values are placeholders):
 *
 *   SHOAL_SSH_HOST=127.0.0.1 SHOAL_SSH_PORT=22 SHOAL_SSH_USER=zhangsan SHOAL_SSH_PASSWORD=... \
 *     node dist/examples/ssh/ssh-client.js
 */
import { AutoAddPolicy, SSHClient } from "../../src/ssh/index.js";

const env = process.env;

// 创建ssh对象
const ssh = new SSHClient();
// 允许连接不在know_hosts文件中的主机 (accept hosts missing from known_hosts)
ssh.setMissingHostKeyPolicy(new AutoAddPolicy());
// 连接服务器
await ssh.connect({
  hostname: env["SHOAL_SSH_HOST"] ?? "test.abc.com",
  port: Number(env["SHOAL_SSH_PORT"] ?? 22),
  username: env["SHOAL_SSH_USER"] ?? "zhangsan",
  password: env["SHOAL_SSH_PASSWORD"] ?? "*****",
});
// 执行命令
const { stdout, stderr } = await ssh.execCommand("df");
// 标准输入和错误输出只有一个有结果 (only one of stdout and stderr has output)
const result = (await stdout.read()).toString() || (await stderr.read()).toString();
console.log(result);
// 关闭连接
await ssh.close();
