"""Threads that prove they keep running: argv[2] worker threads (default 8), every fourth spinning
on the CPU, the others sleeping 1 ms at a time (in and out of system calls), each counting its
loop iterations.
The main thread publishes every counter (and its own) to argv[1] + ".progress" as JSON every
20 ms, written to a temporary name and renamed. Writes {"threads": n} to argv[1] once every
worker has started. With argv[3] = seconds, exits (os._exit, threads still running) after that
long. Python 2.7 and 3.6+."""
import json
import os
import sys
import threading
import time

COUNT = int(sys.argv[2]) if len(sys.argv) > 2 else 8
EXIT_AFTER = float(sys.argv[3]) if len(sys.argv) > 3 else None
counters = [0] * COUNT


def spinner(i, started):
    started.release()
    while True:
        counters[i] += 1


def sleeper(i, started):
    started.release()
    while True:
        time.sleep(0.001)
        counters[i] += 1


def publish(path, main_count):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"time": time.time(), "main": main_count, "counters": list(counters)}, f)
    os.rename(tmp, path)


def write_atomically(path, obj):
    with open(path + ".tmp", "w") as f:
        json.dump(obj, f)
    os.rename(path + ".tmp", path)


def main():
    started = threading.Semaphore(0)
    for i in range(COUNT):
        body = spinner if i % 4 == 0 else sleeper
        t = threading.Thread(target=body, args=(i, started), name="worker-%d" % i)
        t.daemon = True
        t.start()
    for _ in range(COUNT):
        started.acquire()
    progress = sys.argv[1] + ".progress"
    publish(progress, 0)
    write_atomically(sys.argv[1], {"threads": COUNT, "pid": os.getpid()})
    deadline = None if EXIT_AFTER is None else time.time() + EXIT_AFTER
    n = 0
    while deadline is None or time.time() < deadline:
        n += 1
        publish(progress, n)
        time.sleep(0.02)
    os._exit(0)


if __name__ == "__main__":
    main()
