"""One thread naps 0.2 ms at a time for good, the main thread blocks in the kernel for good.
ready('<tid>'): the napper's native thread id."""
import threading
import time

from truth import ready

napper = []


def nap():
    napper.append(threading.get_native_id())
    while True:
        time.sleep(0.0002)


threading.Thread(target=nap, daemon=True).start()
while not napper:
    time.sleep(0.01)
ready(str(napper[0]))
threading.Event().wait()
