"""Python anchors of the fleet benchmarks: paramiko with threads and a queue, and asyncssh.

usage: anchors.py paramiko|asyncssh HOSTS_FILE PORT USER KEY FORKS COMMAND [--gather] [--p256]
Prints one JSON line: {"ok": N, "failed": N, "groups": N}.
--p256: key exchange by ECDH on P-256 instead of the library's default curve25519 (sshd computes
curve25519 with slow reference code), the choice shoal makes against OpenSSH.
"""
import json
import sys
import warnings

warnings.filterwarnings("ignore")

mode, hosts_file, port, user, key, forks, command = sys.argv[1:8]
gather = "--gather" in sys.argv
p256 = "--p256" in sys.argv
CURVE25519 = ["curve25519-sha256", "curve25519-sha256@libssh.org"]
port, forks = int(port), int(forks)
hosts = [h.strip() for h in open(hosts_file) if h.strip()]
outputs = {}
failed = []


def paramiko_run():
    import queue
    import threading
    import paramiko

    q = queue.Queue()
    for h in hosts:
        q.put(h)
    pkey = paramiko.Ed25519Key.from_private_key_file(key)
    lock = threading.Lock()

    def worker():
        while True:
            try:
                h = q.get_nowait()
            except queue.Empty:
                return
            c = paramiko.SSHClient()
            c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
            try:
                c.connect(h, port=port, username=user, pkey=pkey, look_for_keys=False, allow_agent=False, timeout=30, banner_timeout=30, auth_timeout=30,
                          disabled_algorithms={"kex": CURVE25519} if p256 else None)
                _, out, _ = c.exec_command(command)
                text = out.read()
                status = out.channel.recv_exit_status()
                with lock:
                    if status == 0:
                        outputs[h] = text
                    else:
                        failed.append(h)
            except Exception:
                with lock:
                    failed.append(h)
            finally:
                c.close()
                q.task_done()

    threads = [threading.Thread(target=worker) for _ in range(forks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def asyncssh_run():
    import asyncio
    import asyncssh

    async def one(h, sem, client_key):
        async with sem:
            try:
                extra = {"kex_algs": ["ecdh-sha2-nistp256"]} if p256 else {}
                async with asyncssh.connect(h, port=port, username=user, client_keys=[client_key], known_hosts=None, agent_path=None, connect_timeout=30, **extra) as conn:
                    r = await conn.run(command)
                    if r.exit_status == 0:
                        outputs[h] = r.stdout
                    else:
                        failed.append(h)
            except Exception:
                failed.append(h)

    async def main():
        sem = asyncio.Semaphore(forks)
        client_key = asyncssh.read_private_key(key)
        await asyncio.gather(*(one(h, sem, client_key) for h in hosts))

    asyncio.run(main())


{"paramiko": paramiko_run, "asyncssh": asyncssh_run}[mode]()
groups = {}
for h, text in outputs.items():
    groups.setdefault(text, []).append(h)
print(json.dumps({"ok": len(outputs), "failed": len(hosts) - len(outputs), "groups": len(groups)}))
