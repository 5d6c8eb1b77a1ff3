"""The main thread spins in busy_loop (holding the GIL most of the time) while another thread
sleeps in sleeper for good: it does not wake during a recording (a thread waking from a nap
holds the GIL for an instant, which a 1000/s sampler can catch), so it never holds the GIL
there. Runs until killed."""
import threading
import time


def sleeper():
    while True:
        time.sleep(3600)


def busy_loop():
    n = 0
    while True:
        n += 1


def main():
    import sys
    t = threading.Thread(target=sleeper)
    t.daemon = True
    t.start()
    with open(sys.argv[1], "w") as f:
        f.write("{}")
    busy_loop()


if __name__ == "__main__":
    main()
