"""Sleepers for good, rovers that wake now and then into another function, and a spinner.

usage: rovers_target.py TRUTH SLEEPERS ROVERS [NAP_MIN NAP_MAX [CHURN]]
SLEEPERS threads wait on an event never set. Each of ROVERS threads sleeps NAP_MIN-NAP_MAX seconds
at a time (0.3-3 s: long enough for a pauser to stop looking at it, as at a thread that sleeps for
good), each time in the next of four functions at the same depth (so its innermost frame may sit at
the same address while its stack differs): asleep at one look, it may be asleep again at the next
in another function, having run in between. A spinner holds the GIL most of the time. With CHURN 1,
a short-lived thread is started every 50 ms that sleeps 10 ms and ends (the thread list changes at
its head and in its middle). ready('started') once every thread runs.
"""
import random
import sys
import threading
import time

from truth import ready

sleepers, rovers = int(sys.argv[2]), int(sys.argv[3])
nap_min, nap_max = (float(sys.argv[4]), float(sys.argv[5])) if len(sys.argv) > 5 else (0.3, 3.0)
churning = len(sys.argv) > 6 and sys.argv[6] == "1"
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
            f(rnd.uniform(nap_min, nap_max))


def sleep_for_good():
    started.append(1)
    never.wait()


def brief():
    time.sleep(0.01)


def churn():
    while True:
        start(brief)
        time.sleep(0.05)


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
if churning:
    start(churn)
start(spin)
while len(started) < sleepers + rovers:
    time.sleep(0.01)
ready("started")
never.wait()
