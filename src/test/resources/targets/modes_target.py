"""One thread spinning and three blocked in the kernel (time.sleep, select, a lock), until killed.
The main thread is the one waiting on the lock, so the program has exactly four Python threads.
Writes {"spinning": "spin_forever", "blocked": [...]} to the JSON file argv[1] once all run."""
import json
import os
import select
import socket
import sys
import threading
import time


def spin_forever(started):
    started.release()
    n = 0
    while True:
        n += 1


def sleep_forever(started):
    started.release()
    while True:
        time.sleep(3600)


def select_forever(started):
    a, b = socket.socketpair()  # nothing is ever written: select never returns
    started.release()
    while True:
        select.select([a], [], [], 3600)


def wait_on_lock(lock):
    lock.acquire()  # held by nobody who will let go


def main():
    started = threading.Semaphore(0)
    workers = [spin_forever, sleep_forever, select_forever]
    for work in workers:
        t = threading.Thread(target=work, args=(started,))
        t.daemon = True
        t.start()
    for _ in workers:
        started.acquire()
    lock = threading.Lock()
    lock.acquire()
    with open(sys.argv[1] + ".tmp", "w") as f:
        json.dump({"spinning": "spin_forever", "blocked": ["sleep_forever", "select_forever", "wait_on_lock"]}, f)
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    wait_on_lock(lock)


if __name__ == "__main__":
    main()
