# A fork storm: once DIR/go exists, forks CHILDREN short-lived children (at most AT_ONCE at a time),
# each burning CPU in storm_child() for SECONDS; appends each child's pid to DIR/children.
# Usage: fork_storm_target.py DIR CHILDREN AT_ONCE SECONDS
import os
import sys
import time

folder = sys.argv[1]
children, at_once, seconds = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])


def storm_child():
    end = time.time() + seconds
    while time.time() < end:
        pass


def storm_parent(log):
    running = set()
    started = 0
    while started < children or running:
        while started < children and len(running) < at_once:
            pid = os.fork()
            if pid == 0:
                storm_child()
                os._exit(0)
            log.write("%d\n" % pid)
            log.flush()
            running.add(pid)
            started += 1
        pid, _ = os.wait()
        running.discard(pid)


while not os.path.exists(os.path.join(folder, "go")):
    time.sleep(0.01)
with open(os.path.join(folder, "children"), "w") as children_log:
    storm_parent(children_log)
while True:
    time.sleep(1)
