"""Threads that sleep for good, rovers that move between same-shaped functions, threads that come
and go, and a spinner that holds the GIL most of the time.

usage: gil_switches_target.py TRUTH SLEEPERS ROVERS
SLEEPERS threads wait on an event never set. Each of ROVERS threads sleeps 5-100 ms at a time, each
time in the next of four functions at the same depth (its innermost frame may sit at the same address
while its stack differs). Every 50 ms a short-lived thread is started that sleeps 10 ms and ends
(the thread list changes at its head and in its middle). ready('started') once every thread runs.
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
            f(rnd.uniform(0.005, 0.1))


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
start(churn)
start(spin)
while len(started) < sleepers + rovers:
    time.sleep(0.01)
ready("started")
never.wait()
