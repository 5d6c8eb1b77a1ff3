"""Many threads, mostly idle: argv[2] threads wait on an event never set (a pool's idle workers), one
thread computes in busy_worker. Writes its truth file (argv[1]) once every thread has started."""
import os
import sys
import threading


def busy_worker():
    n = 0
    while True:
        n += 1


def main():
    count = int(sys.argv[2])
    never = threading.Event()
    for i in range(count):
        t = threading.Thread(target=never.wait, name="idle-%d" % i)
        t.daemon = True
        t.start()
    threading.Thread(target=busy_worker, name="busy", daemon=True).start()
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write('{"threads": %d}' % (threading.active_count()))
    os.rename(tmp, sys.argv[1])
    never.wait()


if __name__ == "__main__":
    main()
