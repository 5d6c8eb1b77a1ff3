"""CPU work on several threads at once: argv[2] threads (default 4) named spin-0, spin-1, ... each
spin in burn() until killed. Once all run, writes {"threads": [names]} to the JSON file argv[1].
Without a GIL (free-threaded builds) they all run at the same instant."""
import json
import os
import sys
import threading
import time


def burn(started):
    started.release()
    n = 0
    while True:
        n += 1


def main():
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    started = threading.Semaphore(0)
    names = []
    for i in range(count):
        t = threading.Thread(target=burn, args=(started,), name="spin-%d" % i, daemon=True)
        t.start()
        names.append(t.name)
    for _ in names:
        started.acquire()
    with open(sys.argv[1] + ".tmp", "w") as f:
        json.dump({"threads": names, "gil_enabled": getattr(sys, "_is_gil_enabled", lambda: True)()}, f)
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
