"""A multiprocessing pool: three worker processes burn CPU for argv[2] seconds, then all exit."""
import multiprocessing
import sys
import time


def burn(seconds):
    end = time.time() + seconds
    n = 0
    while time.time() < end:
        n += 1
    return n


def main():
    seconds = float(sys.argv[2])
    pool = multiprocessing.Pool(3)
    try:
        pool.map(burn, [seconds] * 3)
    finally:
        pool.terminate()


if __name__ == "__main__":
    main()
