"""Four threads that take turns holding the GIL for times they measure, until killed. The
interpreter never takes the GIL from a thread (a switch interval, or check interval on Python 2,
far longer than any run), so a thread holds it from the moment its Python code resumes after a
sleep until it sleeps again: each thread's time between those two points is exactly its time as
the holder, however the machine schedules it. Each works for a fixed time, then sleeps for a fixed
time, and together they ask for more than all the time there is, so they queue for the GIL.
Writes {"wall": seconds, "held": {function: seconds holding the GIL so far}, "holds": turns taken so
far, all threads together} to argv[1] about every 0.2 s."""
import json
import sys
import threading
import time

from truth import ready

held = {}
turns = [0]


def hold(name, work, rest):
    held[name] = 0.0
    while True:
        start = time.time()
        while time.time() - start < work:
            pass
        held[name] += time.time() - start  # the GIL is ours: no other thread runs in between
        turns[0] += 1
        time.sleep(rest)


def hold_long():
    hold("hold_long", 0.020, 0.005)


def hold_half():
    hold("hold_half", 0.010, 0.010)


def hold_short():
    hold("hold_short", 0.004, 0.020)


def hold_rare():
    hold("hold_rare", 0.002, 0.050)


def main():
    if hasattr(sys, "setswitchinterval"):
        sys.setswitchinterval(1000.0)
    else:
        sys.setcheckinterval(1 << 30)
    for work in (hold_long, hold_half, hold_short, hold_rare):
        t = threading.Thread(target=work)
        t.daemon = True
        t.start()
    while True:
        time.sleep(0.2)
        if len(held) == 4:
            ready(json.dumps({"wall": time.time(), "held": dict(held), "holds": turns[0]}))


main()
