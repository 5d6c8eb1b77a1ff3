"""A small program for pyspy's first run: some CPU work spread over a few functions and threads."""
import math
import threading
import time


def parse_numbers(n):
    return [float(i) for i in range(n)]


def fast_transform(values):
    return [math.sqrt(v) for v in values]


def slow_transform(values):
    total = 0.0
    for v in values:
        total += math.sin(v) * math.cos(v)
    return total


def process_batch():
    values = parse_numbers(20000)
    fast_transform(values)
    slow_transform(values)
    slow_transform(values)


def background_io():
    while True:
        time.sleep(0.05)


def main(seconds=3.0):
    threading.Thread(target=background_io, name="io", daemon=True).start()
    deadline = time.time() + seconds
    while time.time() < deadline:
        process_batch()


if __name__ == "__main__":
    main()
