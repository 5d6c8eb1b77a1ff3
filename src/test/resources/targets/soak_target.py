"""A workload that keeps changing, for long recordings: every 2 seconds the next phase (CPU in one
of several functions, recursion of a varying depth, short-lived threads, freshly compiled code,
sleeping), plus 4 long-lived workers and threads replaced every few seconds. Code objects made by
compile() cycle through 50 names, so the set of distinct stacks stays bounded however long it runs.
Writes {"pid"} to argv[1] once running; runs until killed. Python 3."""
import json
import os
import sys
import threading
import time

PHASE_SECONDS = 2.0
stop_workers = threading.Event()


def cpu_a(seconds):
    end = time.time() + seconds
    n = 0
    while time.time() < end:
        n += 1
    return n


def cpu_b(seconds):
    end = time.time() + seconds
    total = 0
    while time.time() < end:
        total += sum(range(100))
    return total


def recurse(depth, seconds):
    if depth <= 0:
        return cpu_a(seconds)
    return recurse(depth - 1, seconds)


def short_lived(seconds):
    end = time.time() + seconds
    while time.time() < end:
        threads = [threading.Thread(target=cpu_a, args=(0.002,), name="short") for _ in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        time.sleep(0.05)  # about 50 short-lived threads a second


def compiled(seconds, round_no):
    end = time.time() + seconds
    i = 0
    while time.time() < end:
        name = "generated_%d" % ((round_no * 7 + i) % 50)
        namespace = {"cpu_a": cpu_a}
        exec(compile("def %s(s):\n    return cpu_a(s)\n" % name, "<generated %s>" % name, "exec"), namespace)
        namespace[name](0.05)
        i += 1


def sleepy(seconds):
    time.sleep(seconds)


def worker(index, stop):
    while not stop.is_set():
        if index % 2 == 0:
            cpu_b(0.01)
        else:
            time.sleep(0.01)


def main():
    with open(sys.argv[1] + ".tmp", "w") as f:
        json.dump({"pid": os.getpid()}, f)
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    for i in range(4):
        threading.Thread(target=worker, args=(i, stop_workers), name="worker-%d" % i, daemon=True).start()
    rounds = 0
    replaced = threading.Event()
    while True:
        rounds += 1
        # threads replaced every third phase: a new set of thread states, names and tids
        if rounds % 3 == 0:
            replaced.set()
            replaced = threading.Event()
            for i in range(3):
                threading.Thread(target=worker, args=(i, replaced), name="gen%d-%d" % (rounds, i), daemon=True).start()
        phase = rounds % 6
        if phase == 0:
            cpu_a(PHASE_SECONDS)
        elif phase == 1:
            cpu_b(PHASE_SECONDS)
        elif phase == 2:
            recurse(10 + (rounds * 13) % 90, PHASE_SECONDS)
        elif phase == 3:
            short_lived(PHASE_SECONDS)
        elif phase == 4:
            compiled(PHASE_SECONDS, rounds)
        else:
            sleepy(PHASE_SECONDS)


if __name__ == "__main__":
    main()
