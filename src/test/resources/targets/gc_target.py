"""argv[2] "collect": builds a large graph of cyclic garbage in make_garbage and collects it with
gc.collect() in collect_cycles, over and over; the time spent collecting (measured by gc.callbacks
where they exist, 3.3+, else around gc.collect()) and the time of the loop are written as
{"collecting": seconds, "elapsed": seconds} to argv[1] about every 0.2 s. Automatic collections are
off (threshold 0): every collection is collect_cycles' own. "disabled": gc.disable(), then allocates
acyclic garbage in the same functions (nothing for the collector to do). Runs until killed."""
import gc
import json
import os
import sys
import time

state = {"start": None, "collecting": 0.0}


def on_gc(phase, info):
    if phase == "start":
        state["start"] = time.time()
    elif state["start"] is not None:
        state["collecting"] += time.time() - state["start"]
        state["start"] = None


class Node(object):
    def __init__(self, other):
        self.other = other
        self.payload = [other]


def make_garbage(cyclic):
    nodes = []
    for _ in range(20000):
        node = Node(None)
        if cyclic:
            node.other = node  # a cycle: only the collector frees it
        nodes.append(node)
    return len(nodes)


def collect_cycles(cyclic):
    if cyclic:
        start = time.time()
        gc.collect()
        if not hasattr(gc, "callbacks"):
            state["collecting"] += time.time() - start


def write(path, collecting, elapsed):
    with open(path + ".tmp", "w") as f:
        json.dump({"collecting": collecting, "elapsed": elapsed}, f)
    os.rename(path + ".tmp", path)


def main():
    cyclic = sys.argv[2] == "collect"
    if cyclic:
        gc.set_threshold(0)
        if hasattr(gc, "callbacks"):
            gc.callbacks.append(on_gc)
    else:
        gc.disable()
    began = time.time()
    last = 0.0
    while True:
        make_garbage(cyclic)
        collect_cycles(cyclic)
        now = time.time()
        if now - last > 0.2:
            last = now
            write(sys.argv[1], state["collecting"], now - began)


if __name__ == "__main__":
    main()
