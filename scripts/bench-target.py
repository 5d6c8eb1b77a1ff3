"""Benchmark target: N threads, each D frames deep, either sleeping or burning CPU at the bottom.

usage: target.py THREADS DEPTH {sleep|busy} [ASLEEP]
Prints "ready" once every thread is at depth. ASLEEP more threads wait on an event that is never
set (a pool's idle workers), blocked in the kernel for good. Busy threads count their work: SIGUSR1 starts a
measuring window, SIGUSR2 ends it, and the program prints "rate R" (iterations a second within the
window) and exits -- used to measure slowdown in the profiler's steady state, without its start-up.
"""
import signal
import sys
import threading
import time


def descend(depth, leaf):
    if depth <= 1:
        return leaf()
    return descend(depth - 1, leaf)


def main():
    threads, depth, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    asleep = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    never = threading.Event()
    for i in range(asleep):
        t = threading.Thread(target=never.wait, name="asleep-%d" % i)
        t.daemon = True
        t.start()
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
    marks = []
    done = threading.Event()

    def mark(signum, frame):
        marks.append((time.time(), sum(counts)))
        if signum == signal.SIGUSR2:
            done.set()

    signal.signal(signal.SIGUSR1, mark)
    signal.signal(signal.SIGUSR2, mark)
    while not done.wait(0.2):
        pass
    (t0, n0), (t1, n1) = marks[0], marks[-1]
    sys.stdout.write("rate %.1f\n" % ((n1 - n0) / (t1 - t0))); sys.stdout.flush()

if __name__ == "__main__":
    main()
