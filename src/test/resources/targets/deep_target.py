"""Recurses argv[2] calls deep in the main thread (so the stack's root is <module>), then writes
{"frames": frames on the stack as it parks, "recurse_line": the line of the recursive call} to argv[1] and parks.
Re-executes itself once with a larger stack limit: before 3.11 every Python call also takes C stack.
Runs on Python 2.7 and 3.6+."""
import json
import os
import resource
import sys
import time

DEPTH = int(sys.argv[2])


def park():
    while True:
        time.sleep(3600)


def recurse(n):
    if n == 0:
        frames = 1  # park's, where the stack will be sampled
        f = sys._getframe()
        while f is not None:
            frames += 1
            f = f.f_back
        truth = {"frames": frames, "recurse_line": sys._getframe().f_lineno + 5}
        with open(sys.argv[1] + ".tmp", "w") as out:
            json.dump(truth, out)
        os.rename(sys.argv[1] + ".tmp", sys.argv[1])
        park()
    return recurse(n - 1)  # the recursive call: recurse_line


if __name__ == "__main__":
    if os.environ.get("DEEP_TARGET_STACK") != "1":
        hard = resource.getrlimit(resource.RLIMIT_STACK)[1]
        want = 1 << 30
        resource.setrlimit(resource.RLIMIT_STACK, (want if hard == resource.RLIM_INFINITY else min(want, hard), hard))
        os.environ["DEEP_TARGET_STACK"] = "1"
        os.execv(sys.executable, [sys.executable] + sys.argv)
    sys.setrecursionlimit(DEPTH + 1000)
    recurse(DEPTH)
