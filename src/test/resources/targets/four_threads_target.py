"""Four busy threads, named work-0 .. work-3, until killed. argv[2] says how they work:
"nogil" hashes 4 MB buffers (hashlib releases the GIL, so all four run at once) and
"gil" loops in Python (they take turns holding the GIL). Writes {"threads": [names]} to the
JSON file argv[1] once all four run."""
import hashlib
import json
import os
import sys
import threading
import time


def hash_forever(started):
    data = b"x" * (4 << 20)
    started.release()
    while True:
        hashlib.sha256(data).digest()


def loop_forever(started):
    started.release()
    n = 0
    while True:
        n += 1


def main():
    work = hash_forever if sys.argv[2] == "nogil" else loop_forever
    started = threading.Semaphore(0)
    names = []
    for i in range(4):
        t = threading.Thread(target=work, args=(started,), name="work-%d" % i)
        t.daemon = True
        t.start()
        names.append(t.name)
    for _ in names:
        started.acquire()
    with open(sys.argv[1] + ".tmp", "w") as f:
        json.dump({"threads": names}, f)
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
