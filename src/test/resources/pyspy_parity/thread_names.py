import threading
import time

stop = threading.Event()


def wait_named():
    stop.wait()


if __name__ == "__main__":
    for i in range(10):
        t = threading.Thread(target=wait_named, name="CustomThreadName-%d" % i)
        t.daemon = True
        t.start()
    time.sleep(100000)
