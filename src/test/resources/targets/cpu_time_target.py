"""Threads on a CPU for a known share of their time, until killed: spin_all spins, half_duty spins
3 ms then sleeps 3 ms, fifth_duty spins 1 ms then sleeps 4 ms, sleeper sleeps. Each measures its own
CPU time (time.thread_time, the kernel's per-thread clock), so the shares hold however busy the
machine is. Writes {"wall": seconds, "cpu": {function: CPU seconds so far}} to argv[1] about every
0.2 s. Python 3.7+ (time.thread_time)."""
import json
import threading
import time

from truth import ready

cpu = {}


def spin_all():
    while True:
        for _ in range(2000):
            pass
        cpu["spin_all"] = time.thread_time()


def duty(name, on, off):
    while True:
        end = time.perf_counter() + on
        while time.perf_counter() < end:
            pass
        cpu[name] = time.thread_time()
        time.sleep(off)


def half_duty():
    duty("half_duty", 0.003, 0.003)


def fifth_duty():
    duty("fifth_duty", 0.001, 0.004)


def sleeper():
    while True:
        cpu["sleeper"] = time.thread_time()
        time.sleep(0.5)


def main():
    for work in (spin_all, half_duty, fifth_duty, sleeper):
        threading.Thread(target=work, daemon=True).start()
    while True:
        time.sleep(0.2)
        if len(cpu) == 4:
            ready(json.dumps({"wall": time.time(), "cpu": dict(cpu)}))


main()
