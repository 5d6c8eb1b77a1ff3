"""Benchmark target: N threads, each D frames deep, either sleeping or burning CPU at the bottom.

usage: target.py THREADS DEPTH {sleep|busy} [SECONDS]
Prints "ready" once every thread is at depth. With SECONDS, busy threads count their work and the
program prints "work N" (iterations done) before exiting -- used to measure slowdown.
"""
import sys
import threading
import time


def descend(depth, leaf):
    if depth <= 1:
        return leaf()
    return descend(depth - 1, leaf)


def main():
    threads, depth, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else None
    ready = threading.Barrier(threads + 1) if hasattr(threading, "Barrier") else None
    counts = [0] * threads
    stop = [False]

    def leaf_for(i):
        def leaf():
            ready.wait()
            if mode == "sleep":
                while not stop[0]:
                    time.sleep(0.2)
            else:
                n = 0
                while not stop[0]:
                    n += 1
                    if n % 10000 == 0:
                        counts[i] = n
                counts[i] = n
        return leaf

    workers = []
    for i in range(threads):
        t = threading.Thread(target=descend, args=(depth, leaf_for(i)), name="worker-%d" % i)
        t.daemon = True
        t.start()
        workers.append(t)
    ready.wait()
    sys.stdout.write("ready\n"); sys.stdout.flush()
    if seconds is None:
        while True:
            time.sleep(3600)
    time.sleep(seconds)
    stop[0] = True
    for t in workers:
        t.join()
    sys.stdout.write("work %d\n" % sum(counts)); sys.stdout.flush()


if __name__ == "__main__":
    main()
