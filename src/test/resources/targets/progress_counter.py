"""Two spinning threads, and a main thread that counts: ready(n) every 2 ms or so, so the test sees
whether its Python code runs (CPU time would not tell: a stopped thread re-trapping costs some)."""
import threading
import time

from truth import ready


def spin():
    while True:
        pass


for _ in range(2):
    threading.Thread(target=spin, daemon=True).start()
n = 0
while True:
    n += 1
    ready(str(n))
    time.sleep(0.002)
