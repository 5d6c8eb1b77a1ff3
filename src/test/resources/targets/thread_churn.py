"""Threads started and ended all the time (two threads each starting and joining three short-lived
workers in a loop), next to a main thread that sleeps in short naps. ready('ok') once churning."""
import threading
import time

from truth import ready


def work():
    s = 0
    for i in range(3000):
        s += i


def churn():
    while True:
        ts = [threading.Thread(target=work) for _ in range(3)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()


for _ in range(2):
    threading.Thread(target=churn, daemon=True).start()
ready("ok")
while True:
    time.sleep(0.0005)
