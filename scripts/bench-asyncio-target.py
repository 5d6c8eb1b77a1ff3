"""Benchmark target for --async-aware: TASKS pending asyncio tasks and one busy one, as a server has them.

TASKS / 10 gathering tasks each gather 9 leaf tasks; each leaf waits under a chain of 3 coroutines on
an event, a queue, asyncio.sleep or a future (in turn). One more task spins under a chain of 3
coroutines, yielding to the loop every 10 ms, so the loop's thread is nearly always running it.

usage: bench-asyncio-target.py [TASKS]
Prints "ready" once every leaf waits and the busy task spins. Python 3.8+.
"""
import asyncio
import sys
import time

KEEP = []


async def wait_on(i, waits):
    kind = i % 4
    if kind == 0:
        await waits["event"].wait()
    elif kind == 1:
        await waits["queue"].get()
    elif kind == 2:
        await asyncio.sleep(3600)
    else:
        await waits["future"]


async def leaf2(i, waits):
    await wait_on(i, waits)


async def leaf1(i, waits):
    await leaf2(i, waits)


async def group(j, waits):
    loop = asyncio.get_running_loop()
    children = [loop.create_task(leaf1(10 * j + i, waits), name="t-%d-%d" % (j, i)) for i in range(9)]
    KEEP.extend(children)
    await asyncio.gather(*children)


def spin(seconds):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


async def busy2():
    while True:
        spin(0.01)
        await asyncio.sleep(0)


async def busy1():
    await busy2()


async def busy():
    await busy1()


async def main(tasks):
    loop = asyncio.get_running_loop()
    waits = {"event": asyncio.Event(), "queue": asyncio.Queue(), "future": loop.create_future()}
    groups = [loop.create_task(group(j, waits), name="g-%d" % j) for j in range(tasks // 10)]
    KEEP.extend(groups)
    expected = len(groups) * 10 + 1  # the groups, their leaves and main
    while len(asyncio.all_tasks()) < expected or any(
            t._fut_waiter is None for t in asyncio.all_tasks() if t is not asyncio.current_task()):
        await asyncio.sleep(0.01)
    KEEP.append(loop.create_task(busy(), name="busy"))
    await asyncio.sleep(0)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    await waits["future"]


asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
