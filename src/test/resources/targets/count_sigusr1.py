"""Counts the SIGUSR1s its handler ran: ready(count) after each, ready('0') at start. One thread
spins, the main thread naps in 1 ms steps (where the handler runs)."""
import signal
import threading
import time

from truth import ready

count = 0


def handler(sig, frame):
    global count
    count += 1
    ready(str(count))


def spin():
    while True:
        pass


signal.signal(signal.SIGUSR1, handler)
threading.Thread(target=spin, daemon=True).start()
ready("0")
while True:
    time.sleep(0.001)
