"""Threads started and ended all the time: two churning threads start three short workers at a
time and join them, next to a main thread that naps. Writes its truth file (argv[1]) once running."""
import os
import sys
import threading
import time


def work():
    s = 0
    for i in range(3000):
        s += i
    return s


def churn():
    while True:
        workers = [threading.Thread(target=work) for _ in range(3)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()


def main():
    for _ in range(2):
        threading.Thread(target=churn, daemon=True).start()
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write('{"churning": true}')
    os.rename(tmp, sys.argv[1])
    while True:
        time.sleep(0.0005)


if __name__ == "__main__":
    main()
