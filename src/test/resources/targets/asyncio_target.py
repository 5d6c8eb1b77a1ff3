"""An asyncio program that knows its own tasks: the oracle for pyspy's --async-aware tests.

Builds a known task structure -- a gather of named tasks each awaiting a chain of three coroutines
(one of them CPU-busy), a TaskGroup (3.11+), a task awaiting another task (of a subclass of asyncio.Task), tasks waiting on a queue,
on asyncio.sleep and on a socket -- then, from the busy task once every other task waits, writes the
truth to the JSON file named by argv[1]: asyncio.all_tasks(), each task's coroutine chain (cr_await /
gi_yieldfrom; for the running task, its thread's frames up to its coroutine), what it waits on, and
which tasks await which (as built). The busy task then spins forever. Python 3.8+.
"""
import asyncio
import json
import os
import socket
import sys

KEEP = []
HAS_TASK_GROUP = hasattr(asyncio, "TaskGroup")
GATHERED = ["w-busy", "w-1", "w-2"]
GROUPED = ["tg-1", "tg-2"] if HAS_TASK_GROUP else []
NAMES = set(["main", "gatherer", "awaiter", "awaited", "q-waiter", "sleeper", "sock-reader"] + GATHERED
            + (["tg-parent"] + GROUPED if HAS_TASK_GROUP else []))
AWAITED_BY = dict([(n, ["gatherer"]) for n in GATHERED] + [(n, ["tg-parent"]) for n in GROUPED]
                  + [("awaited", ["awaiter"])])


def frame_entry(frame):
    code = frame.f_code
    return {"name": getattr(code, "co_qualname", code.co_name), "filename": code.co_filename,
            "line": frame.f_lineno}


def frame_of(c):
    return getattr(c, "cr_frame", None) if hasattr(c, "cr_frame") else getattr(c, "gi_frame", None)


def coro_chain(coro):
    """Innermost first: each coroutine's frame, following what it awaits while that is a coroutine."""
    out = []
    c = coro
    while c is not None and (hasattr(c, "cr_frame") or hasattr(c, "gi_frame")) and frame_of(c) is not None:
        out.append(frame_entry(frame_of(c)))
        c = getattr(c, "cr_await", None) if hasattr(c, "cr_await") else getattr(c, "gi_yieldfrom", None)
    out.reverse()
    return out


def running_frames(task):
    """The running task's frames: this thread's, innermost first, up to the task's coroutine."""
    top = frame_of(task.get_coro())
    out = []
    frame = sys._getframe(2)   # the caller of hold()'s caller: the coroutine that called hold
    while frame is not None:
        out.append(frame_entry(frame))
        if frame is top:
            return out
        frame = frame.f_back
    raise AssertionError("the task's coroutine is not on its thread's stack")


def settled():
    me = asyncio.current_task()
    others = [t for t in asyncio.all_tasks() if t is not me]
    names = set(t.get_name() for t in others)
    return NAMES - set(["w-busy"]) <= names and all(t._fut_waiter is not None for t in others)


def write_truth(me):
    tasks = []
    for t in asyncio.all_tasks():
        w = t._fut_waiter
        tasks.append({
            "name": t.get_name(),
            "state": "running" if t is me else ("waiting" if w is not None else "ready"),
            "frames": running_frames(t) if t is me else coro_chain(t.get_coro()),
            "waiting_on": None if w is None else type(w).__name__,
            "awaited_by": AWAITED_BY.get(t.get_name(), []),
        })
    truth = {"pid": os.getpid(), "version": "%d.%d.%d" % sys.version_info[:3], "tasks": tasks}
    path = sys.argv[1]
    with open(path + ".tmp", "w") as f:
        json.dump(truth, f)
    os.rename(path + ".tmp", path)


def hold():
    write_truth(asyncio.current_task())
    n = 0
    while True: n += 1


async def level3(name):
    if name == "w-busy":
        while not settled():
            await asyncio.sleep(0)
        hold()
    await asyncio.sleep(3600)


async def level2(name):
    await level3(name)


async def level1(name):
    await level2(name)


def spawn(coro, name):
    t = asyncio.get_running_loop().create_task(coro, name=name)
    KEEP.append(t)
    return t


class TrackedTask(asyncio.Task):
    """A subclass of the C task: its instances are tasks all the same."""


def spawn_subclassed(coro, name):
    t = TrackedTask(coro, loop=asyncio.get_running_loop(), name=name)
    KEEP.append(t)
    return t


async def gatherer():
    await asyncio.gather(*[spawn(level1(n), n) for n in GATHERED])


async def tg_parent():
    async with asyncio.TaskGroup() as tg:
        for n in GROUPED:
            KEEP.append(tg.create_task(level1(n), name=n))


async def sleep_forever():
    await asyncio.sleep(3600)


async def awaiter():
    await spawn_subclassed(sleep_forever(), "awaited")


async def queue_waiter(queue):
    await queue.get()


async def socket_reader():
    a, b = socket.socketpair()
    a.setblocking(False)
    KEEP.extend([a, b])
    await asyncio.get_running_loop().sock_recv(a, 1)


async def main():
    asyncio.current_task().set_name("main")
    spawn(gatherer(), "gatherer")
    if HAS_TASK_GROUP:
        spawn(tg_parent(), "tg-parent")
    spawn(awaiter(), "awaiter")
    spawn(queue_waiter(asyncio.Queue()), "q-waiter")
    spawn(sleep_forever(), "sleeper")
    spawn(socket_reader(), "sock-reader")
    await asyncio.get_running_loop().create_future()


asyncio.run(main())
