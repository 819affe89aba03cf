"""paramiko anchor: commands on one open connection, one after another (channel open + `true` + exit status)."""
import sys
import time

import paramiko

host, port, user, key, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
client = paramiko.SSHClient()
client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
client.connect(host, port=port, username=user, key_filename=key, allow_agent=False, look_for_keys=False)
transport = client.get_transport()
start = time.perf_counter()
for _ in range(count):
    channel = transport.open_session()
    channel.exec_command("true")
    channel.recv_exit_status()
    channel.close()
elapsed = time.perf_counter() - start
client.close()
print(count / elapsed)
