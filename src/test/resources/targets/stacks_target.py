# -*- coding: utf-8 -*-
"""A Python program that knows its own stacks: the oracle for pyspy's dump tests.

Starts threads that park in known places (sleeping, deep recursion, a method, a generator,
a CPU spin, a function with a non-ASCII name), then writes the truth -- every thread's frames
from sys._current_frames(), its name and whether it should count as active -- to the JSON file
named by argv[1], and parks forever. Runs unchanged on Python 2.7 and 3.6+.
"""
from __future__ import print_function

import json
import os
import sys
import threading
import time

RECURSION_DEPTH = int(sys.argv[2]) if len(sys.argv) > 2 else 45
ready = []


def park_forever():
    while True:
        time.sleep(3600)


def sleeper_park(event):
    event.set()
    park_forever()


def recurse(n, event):
    if n == 0:
        event.set()
        park_forever()
    return recurse(n - 1, event)


class Worker(object):
    def method(self, event):
        event.set()
        park_forever()


def generator_body(event):
    event.set()
    park_forever()
    yield 1


def consume_generator(event):
    for _ in generator_body(event):
        pass


def spin(event):
    event.set()
    n = 0
    while True: n += 1


def start(name, target, *args):
    event = threading.Event()
    ready.append(event)
    t = threading.Thread(target=target, name=name, args=args + (event,))
    t.daemon = True
    t.start()
    return t


def frames_of(frame):
    out = []
    while frame is not None:
        code = frame.f_code
        name = getattr(code, "co_qualname", code.co_name)
        out.append({"name": name, "filename": code.co_filename, "line": frame.f_lineno})
        frame = frame.f_back
    return out


def settled_frames(me, active_names):
    """Every thread's frames once the parked ones are seen resting: the main thread in its park, and
    two looks 0.2 s apart agreeing (a thread may still be between event.set() and its sleep, the
    main thread still in Thread.start, however loaded the machine)."""
    previous = None
    while True:
        frames = sys._current_frames()
        parked = dict((t.ident, frames_of(frames[t.ident])) for t in threading.enumerate()
                      if t is not me and t.ident in frames and t.name not in active_names)
        main = [t.ident for t in threading.enumerate() if t.name == "MainThread"]
        main_parked = bool(main) and main[0] in parked and parked[main[0]][0]["name"] == "park_forever"
        if main_parked and parked == previous:
            return frames
        previous = parked
        time.sleep(0.2)


def report(path, active_names):
    for event in ready:
        event.wait()
    me = threading.current_thread()
    frames = settled_frames(me, active_names)
    threads = []
    for t in threading.enumerate():
        if t is me or t.ident not in frames:
            continue
        threads.append({
            "ident": t.ident,
            "name": t.name,
            "native_id": getattr(t, "native_id", None),
            "active": t.name in active_names,
            "frames": frames_of(frames[t.ident]),
        })
    truth = {"pid": os.getpid(), "version": "%d.%d.%d" % sys.version_info[:3], "threads": threads}
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(truth, f)
    os.rename(tmp, path)


def main_park():
    park_forever()


def main():
    path = sys.argv[1]
    sys.setrecursionlimit(max(1000, RECURSION_DEPTH + 200))
    start("sleeper", sleeper_park)
    start("recursive", recurse, RECURSION_DEPTH)
    start("method", Worker().method)
    start("generator", consume_generator)
    start("spinner", spin)
    if sys.version_info[0] >= 3:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import unicode_target
        start("non-ascii ✓", unicode_target.entry)
    reporter = threading.Thread(target=report, name="reporter", args=(path, ["spinner"]))
    reporter.daemon = True
    reporter.start()
    main_park()


if __name__ == "__main__":
    main()
