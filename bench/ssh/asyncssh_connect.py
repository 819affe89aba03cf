"""asyncssh anchor: new connections per second (connect, key auth, `true`, close), `concurrency` at a time."""
import asyncio
import sys
import time

import asyncssh

host, port, user, key, total, concurrency = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])


async def one(semaphore):
    async with semaphore:
        async with asyncssh.connect(host, port=port, username=user, client_keys=[key], known_hosts=None, agent_path=None) as conn:
            await conn.run("true", check=True)


async def main():
    semaphore = asyncio.Semaphore(concurrency)
    start = time.perf_counter()
    await asyncio.gather(*(one(semaphore) for _ in range(total)))
    print(total / (time.perf_counter() - start))


asyncio.run(main())
