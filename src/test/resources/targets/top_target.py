"""A program whose columns in top disagree: leaf_a has the most own time, outer (and its callers) the
most total. Writes {} to argv[1] at start; runs for argv[2] seconds, or until killed."""
import sys
import time


def leaf_a(n):
    s = 0
    for i in range(n):
        s += i
    return s


def leaf_b(n):
    s = 0
    for i in range(n):
        s += i
    return s


def outer():
    leaf_a(60000)
    leaf_a(60000)
    leaf_a(60000)
    leaf_b(60000)


def main():
    with open(sys.argv[1], "w") as f:
        f.write("{}")
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 1e9
    deadline = time.time() + seconds
    while time.time() < deadline:
        outer()


if __name__ == "__main__":
    main()
