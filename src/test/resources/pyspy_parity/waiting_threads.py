"""Threads that wait in the ways py-spy counts as idle, beside one that works: blocked in
selectors' select, in socket.accept, in Lock.acquire, in a Condition wait, and one polling
select(timeout=0) in a loop (the kernel sees it run, its innermost frame is a waiting call)."""
import selectors
import socket
import threading
import time


def blocked_select():
    sel = selectors.DefaultSelector()
    a, b = socket.socketpair()
    sel.register(a, selectors.EVENT_READ)
    sel.select()


def blocked_accept():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    s.accept()


def blocked_lock():
    lock = threading.Lock()
    lock.acquire()
    lock.acquire()


def blocked_wait():
    cond = threading.Condition()
    with cond:
        cond.wait()


def polling_select():
    sel = selectors.DefaultSelector()
    a, b = socket.socketpair()
    sel.register(a, selectors.EVENT_READ)
    while True:
        sel.select(timeout=0)


def working():
    n = 0
    while True:
        n += 1


if __name__ == "__main__":
    for f in (blocked_select, blocked_accept, blocked_lock, blocked_wait, polling_select, working):
        t = threading.Thread(target=f, name=f.__name__)
        t.daemon = True
        t.start()
    time.sleep(100000)
