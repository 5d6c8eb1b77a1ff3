"""Many sleepers, one napper and one spinner; the main thread waits for good.

usage: sleepers_and_waker.py TRUTH SLEEPERS
SLEEPERS threads each read a pipe of their own, blocked in the kernel until a byte comes (then they
read again); a napper sleeps 0.5 ms at a time for good; a spinner computes. A sleeper is woken by
writing a byte into /proc/PID/fd/W, W its pipe's write end: its wake-up needs nobody else to run
(the spinner may hold the GIL while it is stopped).
ready('<napper tid> <main tid> <sleeper tid>:<W> ...'): native thread ids, sleepers in order.
"""
import os
import sys
import threading
import time

from truth import ready

count = int(sys.argv[2])
sleepers = [None] * count
napper = []


def sleeper(i):
    r, w = os.pipe()
    sleepers[i] = "%d:%d" % (threading.get_native_id(), w)
    while True:
        os.read(r, 1)


def nap():
    napper.append(threading.get_native_id())
    while True:
        time.sleep(0.0005)


def spin():
    x = 0
    while True:
        x += 1


for i in range(count):
    threading.Thread(target=sleeper, args=(i,), daemon=True).start()
threading.Thread(target=nap, daemon=True).start()
while not napper or not all(sleepers):
    time.sleep(0.01)
threading.Thread(target=spin, daemon=True).start()
ready(" ".join([str(napper[0]), str(threading.get_native_id())] + sleepers))
threading.Event().wait()
