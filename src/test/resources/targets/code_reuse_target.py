"""Runs alpha for a second, frees it, then runs beta for four seconds: a function whose code object
was made at the address alpha's code had (new functions are made until the allocator gives that
address back). Writes {"alpha": address, "beta": address, "alpha_seconds": how long alpha ran} to
argv[1] before beta starts.
Runs on Python 2.7 and 3.6+."""
import gc
import json
import sys
import time

SOURCE = """
def %s(seconds):
    end = time.time() + seconds
    n = 0
    while time.time() < end:
        n += 1
"""


def make(name):
    namespace = {"time": time}
    exec(compile(SOURCE % name, "<generated>", "exec"), namespace)
    return namespace[name]


def main():
    alpha = make("alpha")
    alpha_code = id(alpha.__code__)
    started = time.time()
    alpha(1.0)
    alpha_seconds = time.time() - started
    del alpha
    gc.collect()
    held = []  # the misses stay alive, so each try gets another block
    beta = make("beta")
    while id(beta.__code__) != alpha_code and len(held) < 100000:
        held.append(beta)
        beta = make("beta")
    with open(sys.argv[1], "w") as f:
        json.dump({"alpha": alpha_code, "beta": id(beta.__code__), "alpha_seconds": alpha_seconds}, f)
    beta(4.0)


if __name__ == "__main__":
    main()
