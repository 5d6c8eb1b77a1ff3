"""Benchmark target for --native: THREADS threads, each DEPTH Python frames deep, compressing a
buffer with zlib in a loop (native frames below the Python ones: the zlib module, then libz).

usage: bench-native-target.py THREADS DEPTH
Prints "ready" once every thread is at depth and compressing.
"""
import os
import sys
import threading
import zlib


def descend(depth, leaf):
    if depth <= 1:
        return leaf()
    return descend(depth - 1, leaf)


def main():
    threads, depth = int(sys.argv[1]), int(sys.argv[2])
    data = os.urandom(1 << 12) * 256
    ready = threading.Barrier(threads + 1)

    def leaf():
        ready.wait()
        while True:
            zlib.compress(data, 6)

    for i in range(threads):
        threading.Thread(target=descend, args=(depth, leaf), name="zlib-%d" % i, daemon=True).start()
    ready.wait()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    threading.Event().wait()


if __name__ == "__main__":
    main()
