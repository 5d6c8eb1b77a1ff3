"""CPU workload with a known split: heavy_a runs about three times as long as heavy_b.

Each function measures the CPU time it spends; after argv[2] seconds the totals are written to
the JSON file argv[1] and the program exits. Runs on Python 2.7 and 3.6+.
"""
import json
import sys
import time

# CPU time of this thread (3.7+), of the process (3.3+), or time.clock: CPU time on 2.7 Unix
clock = getattr(time, "thread_time", None) or getattr(time, "process_time", None) or time.clock


def spin(seconds):
    end = clock() + seconds
    n = 0
    while clock() < end:
        n += 1
    return n


def heavy_a():
    spin(0.03)


def heavy_b():
    spin(0.01)


def main():
    out, duration = sys.argv[1], float(sys.argv[2])
    a = b = 0.0
    deadline = time.time() + duration
    while time.time() < deadline:
        t0 = clock()
        heavy_a()
        t1 = clock()
        heavy_b()
        t2 = clock()
        a += t1 - t0
        b += t2 - t1
    with open(out + ".tmp", "w") as f:
        json.dump({"heavy_a": a, "heavy_b": b}, f)
    import os
    os.rename(out + ".tmp", out)


if __name__ == "__main__":
    main()
