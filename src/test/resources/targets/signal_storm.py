"""Takes SIGUSR1s as they come: ready('<loops> <handler runs>') every 20 loops of a main thread that
naps 0.5 ms per loop. Two more threads nap too: a process-directed signal stops whichever thread
takes it, not only the main one."""
import signal
import threading
import time

from truth import ready

hits = 0


def handler(sig, frame):
    global hits
    hits += 1


def nap():
    while True:
        time.sleep(0.0002)


signal.signal(signal.SIGUSR1, handler)
for _ in range(2):
    threading.Thread(target=nap, daemon=True).start()
n = 0
while True:
    n += 1
    if n % 20 == 0:
        ready(f"{n} {hits}")
    time.sleep(0.0005)
