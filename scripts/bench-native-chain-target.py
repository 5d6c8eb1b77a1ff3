"""Benchmark target for --native (issue 14's case): THREADS threads, each DEPTH Python frames deep,
then 10 C frames deep in the benchchain extension (scripts/bench-native-chain.c, built by
scripts/bench into MODULE_DIR), spinning there without the GIL: every thread busy at once.

usage: bench-native-chain-target.py MODULE_DIR THREADS DEPTH
Prints "ready" once every thread spins at the bottom. As bench-target.py's busy threads: SIGUSR1
starts a measuring window, SIGUSR2 ends it, and the program prints "rate R" (the spinners'
iterations a second within the window) and exits.
"""
import signal
import sys
import threading
import time

sys.path.insert(0, sys.argv[1])
import benchchain  # noqa: E402


def descend(depth, leaf):
    if depth <= 1:
        return leaf()
    return descend(depth - 1, leaf)


def main():
    threads, depth = int(sys.argv[2]), int(sys.argv[3])
    for i in range(threads):
        t = threading.Thread(target=descend, args=(depth, lambda slot=i: benchchain.spin(slot)),
                             name="chain-%d" % i)
        t.daemon = True
        t.start()
    # a spinner's counter moves only at the bottom, under every frame
    started = threading.Event()
    while not all(benchchain.count(i) > 0 for i in range(threads)):
        started.wait(0.01)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    marks = []
    done = threading.Event()

    def mark(signum, frame):
        marks.append((time.time(), sum(benchchain.count(i) for i in range(threads))))
        if signum == signal.SIGUSR2:
            done.set()

    signal.signal(signal.SIGUSR1, mark)
    signal.signal(signal.SIGUSR2, mark)
    while not done.wait(0.2):
        pass
    (t0, n0), (t1, n1) = marks[0], marks[-1]
    sys.stdout.write("rate %.1f\n" % ((n1 - n0) / (t1 - t0)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
