"""Sleepers for good, rovers that wake now and then into another function, and a spinner.

usage: rovers_target.py TRUTH SLEEPERS ROVERS
SLEEPERS threads wait on an event never set. Each of ROVERS threads sleeps 0.3-3 s at a time (long
enough for a pauser to stop looking at it, as at a thread that sleeps for good),
each time in the next of four functions at the same depth (so its innermost frame may sit at the
same address while its stack differs): asleep at one pause, it may be asleep again at the next in
another function, having run in between. A spinner holds the GIL most of the time.
ready('started') once every thread runs.
"""
import random
import sys
import threading
import time

from truth import ready

sleepers, rovers = int(sys.argv[2]), int(sys.argv[3])
never = threading.Event()
started = []


def r0(d):
    time.sleep(d)


def r1(d):
    time.sleep(d)


def r2(d):
    time.sleep(d)


def r3(d):
    time.sleep(d)


def rove(seed):
    rnd = random.Random(seed)
    started.append(1)
    while True:
        for f in (r0, r1, r2, r3):
            f(rnd.uniform(0.3, 3.0))


def sleep_for_good():
    started.append(1)
    never.wait()


def spin():
    x = 0
    while True:
        x += 1


def start(target, *args):
    t = threading.Thread(target=target, args=args)
    t.daemon = True
    t.start()


for i in range(sleepers):
    start(sleep_for_good)
for i in range(rovers):
    start(rove, i)
start(spin)
while len(started) < sleepers + rovers:
    time.sleep(0.01)
ready("started")
never.wait()
