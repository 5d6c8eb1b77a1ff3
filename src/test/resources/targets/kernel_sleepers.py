"""Four threads blocked in the kernel for good (an Event never set) and a spinning main thread.
ready('<tid> <tid> <tid> <tid>'): the sleepers' native thread ids."""
import threading

from truth import ready

sleepers = []


def sleep_forever():
    sleepers.append(threading.get_native_id())
    threading.Event().wait()


for _ in range(4):
    threading.Thread(target=sleep_forever, daemon=True).start()
while len(sleepers) < 4:
    pass
ready(" ".join(map(str, sleepers)))
x = 0
while True:
    x += 1
