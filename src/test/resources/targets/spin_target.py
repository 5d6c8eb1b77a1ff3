"""Spins on the CPU in busy_loop until killed, or for argv[2] seconds when given."""
import sys
import time


def busy_loop(deadline):
    n = 0
    while time.time() < deadline:
        n += 1
    return n


def main():
    with open(sys.argv[1], "w") as f:
        f.write("{}")
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 1e9
    busy_loop(time.time() + seconds)


if __name__ == "__main__":
    main()
