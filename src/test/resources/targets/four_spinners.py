"""Four threads on the CPU: three spinning threads and the spinning main thread. ready('ok') once
the three are started."""
import threading

from truth import ready


def spin():
    x = 0
    while True:
        x += 1


for _ in range(3):
    threading.Thread(target=spin, daemon=True).start()
ready("ok")
spin()
