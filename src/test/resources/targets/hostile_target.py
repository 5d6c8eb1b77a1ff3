# -*- coding: utf-8 -*-
"""Programs that are hard to profile. argv[1]: truth file (JSON, written once the mode is running);
argv[2]: mode; argv[3:]: mode arguments. Python 3.8+ (code.replace).

  churn [per_second]  threads started and finished all the time (default 500 a second), named
                      churn-N, next to 8 long-lived workers that count their loops (each sleeps
                      1 ms per loop: none hogs the GIL)
  forkexec            os.fork() children that exit at once, and /bin/true run through
                      subprocess (fork + exec), as fast as they go, next to progress workers
  threads N           N threads parked in parked_thread(), each with a 128 KiB stack
  deep N              one thread N frames deep in deep_recursion(), then parked
  names               functions whose names and files are hostile: a 1 MiB name, names and file
                      names with lone surrogates (undecodable bytes as Python keeps them), control
                      characters, bidirectional and other invisible format characters, quotes and
                      markup, a semicolon; each parked in its own thread
  renames             threads started eight at a time (r-N), each renaming itself for 50 ms to a
                      fresh string of one repeated letter A-H (8-31 long); status: threads started

Every mode publishes progress counters to argv[1] + ".progress" (see progress_target.py) and
writes {"pid", "mode", ...} to argv[1] once running.
"""
import json
import os
import subprocess
import sys
import threading
import time

counters = [0] * 8


def write_atomically(path, obj):
    with open(path + ".tmp", "w") as f:
        json.dump(obj, f)
    os.rename(path + ".tmp", path)


def worker(i):
    while True:
        time.sleep(0.001)
        counters[i] += 1


def start_workers():
    for i in range(len(counters)):
        t = threading.Thread(target=worker, args=(i,), name="worker-%d" % i)
        t.daemon = True
        t.start()


def park():
    while True:
        time.sleep(3600)


def churn_body():
    x = 0
    for i in range(200):
        x += i
    return x


def churn(per_second):
    started = [0]

    def loop():
        interval = 1.0 / per_second
        next_start = time.time()
        while True:
            t = threading.Thread(target=churn_body, name="churn-%d" % started[0])
            t.start()
            started[0] += 1
            next_start += interval
            delay = next_start - time.time()
            if delay > 0:
                time.sleep(delay)
            elif delay < -1:
                next_start = time.time()

    threading.Thread(target=loop, name="churner", daemon=True).start()
    return started


def forkexec():
    done = [0, 0]

    def forker():
        while True:
            pid = os.fork()
            if pid == 0:
                os._exit(0)
            os.waitpid(pid, 0)
            done[0] += 1

    def execer():
        while True:
            subprocess.call(["/bin/true"])
            done[1] += 1

    threading.Thread(target=forker, name="forker", daemon=True).start()
    threading.Thread(target=execer, name="execer", daemon=True).start()
    return done


def parked_thread(ready):
    ready.release()
    park()


def many_threads(n):
    threading.stack_size(128 * 1024)
    ready = threading.Semaphore(0)
    for i in range(n):
        threading.Thread(target=parked_thread, args=(ready,), name="parked-%d" % i, daemon=True).start()
    for _ in range(n):
        ready.acquire()


def deep_recursion(n, ready):
    if n <= 1:
        ready.set()
        park()
    deep_recursion(n - 1, ready)


def deep(n):
    sys.setrecursionlimit(n + 1000)
    threading.stack_size(512 * 1024 * 1024)  # older versions use the C stack for every Python call
    ready = threading.Event()
    threading.Thread(target=deep_recursion, args=(n, ready), name="deep", daemon=True).start()
    ready.wait()


# Hostile names: (label, function name, file name). Lone surrogates are what Python keeps for bytes
# that are not UTF-8 (os.fsdecode(b"\xff") == "\udcff").
HOSTILE = [
    ("huge", "h" * (1 << 20), "huge_name.py"),
    ("surrogate", "bad_\udcff\udcfe_name", "/tmp/bad_\udcff\udcfe_dir/bad_\udcc3.py"),
    ("pair", "astral_\U0001F600_name", "astral_\U0001F600.py"),
    ("control", "ctl_\x00_\x01_\x7f_\t_\n_name", "ctl_\n_file.py"),
    ("markup", "mk_<svg>&amp;\"'`_name", "<script>alert(1)</script>.py"),
    ("bidi", "bidi_\u202e_\u2066_\u200b_\u2028_name", "bidi_\u2029_\u061c.py"),
    ("semicolon", "semi;colon_name", "semi;colon.py"),
    ("empty", "", ""),
]


def hostile(label, name, filename, ready):
    source = "def f(ready):\n    ready.release()\n    park()\n"
    namespace = {"park": park}
    exec(compile(source, filename, "exec"), namespace)
    code = namespace["f"].__code__
    changes = {"co_name": name}
    if sys.version_info >= (3, 11):
        changes["co_qualname"] = name
    code = code.replace(**changes)
    func = type(namespace["f"])(code, namespace, name)
    func(ready)


def names():
    ready = threading.Semaphore(0)
    for label, name, filename in HOSTILE:
        threading.Thread(target=hostile, args=(label, name, filename, ready), name="hostile-" + label,
                         daemon=True).start()
    for _ in HOSTILE:
        ready.acquire()


def renamer():
    me = threading.current_thread()
    # for 50 ms, however fast the machine: a thread that lived only for its renames would often end
    # between two samples, unseen, and the test would prove nothing
    deadline = time.time() + 0.05
    i = 0
    while time.time() < deadline:
        # a new str each time (the old one is freed at once and its memory reused): one letter
        # repeated, so a name read half-old, half-new, or from reused memory shows as mixed
        me.name = RENAME_LETTERS[i % len(RENAME_LETTERS)] * (8 + i % 24)
        i += 1


RENAME_LETTERS = "ABCDEFGH"


def renames():
    started = [0]

    def loop():
        while True:
            batch = [threading.Thread(target=renamer, name="r-%d" % (started[0] + k)) for k in range(8)]
            started[0] += len(batch)
            for t in batch:
                t.start()
            for t in batch:
                t.join()

    threading.Thread(target=loop, name="spawner", daemon=True).start()
    return started


def main():
    truth, mode, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    start_workers()
    extra = {}
    status = None
    if mode == "churn":
        status = churn(int(args[0]) if args else 500)
    elif mode == "forkexec":
        status = forkexec()
    elif mode == "threads":
        many_threads(int(args[0]))
    elif mode == "deep":
        deep(int(args[0]))
    elif mode == "names":
        names()
    elif mode == "renames":
        status = renames()
    else:
        raise SystemExit("unknown mode " + mode)
    progress = truth + ".progress"
    n = 0
    while True:
        write_atomically(progress, {"time": time.time(), "main": n, "counters": list(counters),
                                    "status": list(status) if status is not None else None})
        if n == 0:
            extra.update({"pid": os.getpid(), "mode": mode, "threads": threading.active_count()})
            write_atomically(truth, extra)
        n += 1
        time.sleep(0.05)


if __name__ == "__main__":
    main()
