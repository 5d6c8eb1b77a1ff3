"""Many pending asyncio tasks (argv[2], default 1000), for --async-mode all at scale: groups of ten
tasks, each group gathered by a parent task ("g-J" awaits "t-J-0" .. "t-J-9"), every task suspended in
asyncio.sleep under a chain of three coroutines. Once all wait, writes the truth to argv[1]: the
number of pending tasks and the stack each leaf task must have (outermost first), then idles.
Python 3.8+.
"""
import asyncio
import json
import os
import sys

COUNT = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
KEEP = []


async def leaf3():
    await asyncio.sleep(3600)


async def leaf2():
    await leaf3()


async def leaf1():
    await leaf2()


async def group(j, size):
    children = [asyncio.get_running_loop().create_task(leaf1(), name="t-%d-%d" % (j, i)) for i in range(size)]
    KEEP.extend(children)
    await asyncio.gather(*children)


def name_of(code):
    return getattr(code, "co_qualname", code.co_name)


def chain(task):
    """The task's coroutine chain, outermost first (cr_await followed while it is a coroutine)."""
    out = []
    c = task.get_coro()
    while c is not None and getattr(c, "cr_frame", None) is not None:
        out.append("%s (%s:%d)" % (name_of(c.cr_code), c.cr_code.co_filename, c.cr_frame.f_lineno))
        c = c.cr_await
    return out


async def main():
    asyncio.current_task().set_name("main")
    loop = asyncio.get_running_loop()
    groups = []
    for j in range((COUNT + 9) // 10):
        groups.append(loop.create_task(group(j, min(10, COUNT - 10 * j)), name="g-%d" % j))
    KEEP.extend(groups)
    while len(asyncio.all_tasks()) < COUNT + len(groups) + 1 or any(
            t._fut_waiter is None for t in asyncio.all_tasks() if t is not asyncio.current_task()):
        await asyncio.sleep(0.01)
    stacks = {}
    for g in groups:
        for t in KEEP:
            if t.get_name().startswith("t-%s-" % g.get_name()[2:]):
                stacks[t.get_name()] = ["<task %s>" % g.get_name()] + chain(g) + ["<task %s>" % t.get_name()] + chain(t)
    truth = {"pid": os.getpid(), "pending": len(asyncio.all_tasks()), "leaves": stacks}
    with open(sys.argv[1] + ".tmp", "w") as f:
        json.dump(truth, f)
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    await asyncio.sleep(3600)


asyncio.run(main())
