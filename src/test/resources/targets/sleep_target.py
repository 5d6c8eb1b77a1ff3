"""Sleeps in a known function for argv[2] seconds (the truth file argv[1] is written at start)."""
import sys
import time


def idle_sleeper(seconds):
    time.sleep(seconds)


def main():
    with open(sys.argv[1], "w") as f:
        f.write("{}")
    idle_sleeper(float(sys.argv[2]))


if __name__ == "__main__":
    main()
