"""HTTP clients for bench/stream.py, run in their own process so that their CPU and
event loop are not the server's (as with a real player).

    python bench/_stream_client.py sequential URL
        one GET of the whole body, read as fast as it comes; prints JSON {bytes, seconds}
    python bench/_stream_client.py paced URL SIZE RATE_BPS SECONDS OFFSET [OFFSET ...]
        one paced reader per OFFSET (Range: bytes=OFFSET-, wrapping to 0 at the end);
        prints JSON per reader: chunks, stalls (a 1 MiB chunk > 1 s after its due
        time), max lateness, errors.

Run any other way (`./dev bench` runs every bench/*.py with its own args) it does nothing.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import aiohttp

CHUNK = 1024 * 1024
STALL_S = 1.0


async def sequential(url: str) -> dict[str, float]:
    t0 = time.perf_counter()
    got = 0
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(timeout=timeout) as s, s.get(url) as r:
        r.raise_for_status()
        async for part in r.content.iter_chunked(CHUNK):
            got += len(part)
    return {"bytes": got, "seconds": time.perf_counter() - t0}


async def paced(session: aiohttp.ClientSession, url: str, size: int, rate: float,
                seconds: float, offset: int) -> dict[str, float]:
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    end_t = t0 + seconds
    i = stalls = errors = 0
    late_max = 0.0
    off = offset
    while loop.time() < end_t:
        try:
            async with session.get(url, headers={"Range": f"bytes={off}-"}) as r:
                if r.status != 206:
                    errors += 1
                    await asyncio.sleep(0.2)
                    continue
                while off < size and loop.time() < end_t:
                    due = t0 + i * CHUNK / rate
                    now = loop.time()
                    if due > now:
                        await asyncio.sleep(due - now)
                    n = min(CHUNK, size - off)
                    await r.content.readexactly(n)
                    late = loop.time() - due
                    late_max = max(late_max, late)
                    if late > STALL_S:
                        stalls += 1
                    off += n
                    i += 1
            if off >= size:
                off = 0
        except (aiohttp.ClientError, asyncio.IncompleteReadError, TimeoutError):
            errors += 1
            await asyncio.sleep(0.2)
    return {"chunks": i, "stalls": stalls, "late_max_s": late_max, "errors": errors}


async def paced_all(url: str, size: int, rate: float, seconds: float,
                    offsets: list[int]) -> list[dict[str, float]]:
    timeout = aiohttp.ClientTimeout(total=None, sock_read=10)
    conn = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(timeout=timeout, connector=conn) as s:
        return await asyncio.gather(*(paced(s, url, size, rate, seconds, o) for o in offsets))


def main(argv: list[str]) -> None:
    if argv[0] == "sequential":
        out: object = asyncio.run(sequential(argv[1]))
    else:
        out = asyncio.run(paced_all(argv[1], int(argv[2]), float(argv[3]), float(argv[4]),
                                    [int(x) for x in argv[5:]]))
    print(json.dumps(out))


if __name__ == "__main__" and sys.argv[1:2] in (["sequential"], ["paced"]):
    main(sys.argv[1:])
