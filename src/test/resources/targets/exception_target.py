"""Two threads that spend a known share of their time inside except blocks, until killed; the main
thread sleeps outside any. "handler" works 30 ms in plain_work, then raises ValueError and spends
10 ms in handle_value_error inside the except block; "generator" works 20 ms in plain_work_too, then
resumes a generator that raises KeyError and spends 20 ms in handle_key_error inside its except
block (the generator's own exception-stack entry). Time is measured by the clock, so the shares
hold however the threads are scheduled. The main thread's own work (json, files) may raise and
catch exceptions inside the libraries it calls, for an instant. Writes {"handler": [handling, total], "generator": [...]} (the seconds each spent in
except blocks and in its loop, measured) to argv[1] about every 0.2 s."""
import json
import os
import sys
import threading
import time

lock = threading.Lock()
spent = {"handler": [0.0, 0.0], "generator": [0.0, 0.0]}


def spin(seconds):
    end = time.time() + seconds
    while time.time() < end:
        pass


def plain_work():
    spin(0.030)


def plain_work_too():
    spin(0.020)


def handle_value_error():
    spin(0.010)


def handle_key_error():
    spin(0.020)


def count(name, handling, total):
    with lock:
        spent[name][0] += handling
        spent[name][1] += total


def value_error():
    # its own function: Python 2 keeps an exception handled until the function that handled it returns
    try:
        raise ValueError("known")
    except ValueError:
        entered = time.time()
        handle_value_error()
        left = time.time()
    return left - entered


def handler_thread():
    while True:
        start = time.time()
        plain_work()
        handling = value_error()
        count("handler", handling, time.time() - start)


def key_errors():
    while True:
        try:
            raise KeyError("known")
        except KeyError:
            entered = time.time()
            handle_key_error()
            left = time.time()
        yield left - entered


def generator_thread():
    gen = key_errors()
    while True:
        start = time.time()
        plain_work_too()
        handling = next(gen)
        count("generator", handling, time.time() - start)


def main():
    for target in (handler_thread, generator_thread):
        t = threading.Thread(target=target, name=target.__name__)
        t.daemon = True
        t.start()
    while True:
        time.sleep(0.2)
        shares = {}
        with lock:
            for name in spent:  # a plain loop: a generator expression's end raises StopIteration inside
                shares[name] = list(spent[name])
        with open(sys.argv[1] + ".tmp", "w") as f:
            json.dump(shares, f)
        os.rename(sys.argv[1] + ".tmp", sys.argv[1])


if __name__ == "__main__":
    main()
