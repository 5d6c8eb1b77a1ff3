# A fork storm: once TRUTH.go exists, forks CHILDREN short-lived children (at most AT_ONCE at a
# time), each burning CPU in storm_child() for SECONDS; then sleeps until killed. The truth: each
# child appends "pid began ended" to TRUTH.children as it ends, in CLOCK_MONOTONIC seconds
# (time.monotonic on Linux, as Java's System.nanoTime), in one write to an O_APPEND file so that
# lines never interleave; TRUTH.done appears once every child has ended.
# Usage: fork_storm_target.py TRUTH CHILDREN AT_ONCE SECONDS
import os
import sys
import time

truth = sys.argv[1]
children, at_once, seconds = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])


def storm_child(log):
    began = time.monotonic()
    end = began + seconds
    while time.monotonic() < end:
        pass
    os.write(log, ("%d %.6f %.6f\n" % (os.getpid(), began, time.monotonic())).encode())


def storm_parent(log):
    running = set()
    started = 0
    while started < children or running:
        while started < children and len(running) < at_once:
            pid = os.fork()
            if pid == 0:
                try:
                    storm_child(log)
                finally:
                    os._exit(0)
            running.add(pid)
            started += 1
        pid, _ = os.wait()
        running.discard(pid)


while not os.path.exists(truth + ".go"):
    time.sleep(0.01)
children_log = os.open(truth + ".children", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
storm_parent(children_log)
open(truth + ".done", "w").close()
while True:
    time.sleep(1)
