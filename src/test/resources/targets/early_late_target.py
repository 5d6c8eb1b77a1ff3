"""Burns CPU at module level, then in early(), then in late(); writes how long each ran (wall
seconds) to the truth file argv[1] at the end. A profiler that starts late loses the first parts."""
import json
import sys
import time

start = time.time()
n = 0
while time.time() < start + 0.2:
    n += 1
module_seconds = time.time() - start


def burn(seconds):
    end = time.time() + seconds
    n = 0
    while time.time() < end:
        n += 1
    return n


def early():
    t0 = time.time()
    burn(0.6)
    return time.time() - t0


def late():
    t0 = time.time()
    burn(1.0)
    return time.time() - t0


early_seconds = early()
late_seconds = late()
with open(sys.argv[1], "w") as f:
    json.dump({"module": module_seconds, "early": early_seconds, "late": late_seconds}, f)
