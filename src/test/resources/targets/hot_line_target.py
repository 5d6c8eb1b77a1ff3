"""Almost all of its time goes to one line, the one marked HOT (a builtin call counts to the line that
calls it). Runs for argv[2] seconds, then writes {"hot_line": N} to the JSON file argv[1] and exits."""
import json
import os
import sys
import time


def work():
    total = 0
    for _ in range(50):
        total += sum(range(20000))  # HOT
    return total


def main():
    deadline = time.time() + float(sys.argv[2])
    while time.time() < deadline:
        work()
    with open(__file__) as f:
        hot = [i for i, line in enumerate(f, 1) if line.rstrip().endswith("# HOT")][0]
    with open(sys.argv[1] + ".tmp", "w") as f:
        json.dump({"hot_line": hot}, f)
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])


if __name__ == "__main__":
    main()
