"""scripts/bench's -s target: a parent that starts N children spinning in busy_child() and waits.

usage: bench-tree-target.py N          (a child: bench-tree-target.py child)
"""
import subprocess
import sys


def busy_child():
    while True:
        pass


if __name__ == "__main__":
    if sys.argv[1] == "child":
        busy_child()
    kids = [subprocess.Popen([sys.executable, __file__, "child"]) for _ in range(int(sys.argv[1]))]
    for kid in kids:
        kid.wait()
