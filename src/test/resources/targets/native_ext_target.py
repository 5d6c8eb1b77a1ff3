# A thread that is 10 native frames deep in a C extension under Python frames that call back
# into it (nativeext.c), for --native. argv: truth file, directory holding nativeext.so.
# Truth: for the spinning thread, its native tid and its Python frames innermost first, written
# from inside ready() (called by C just before the spin), minus ready itself.
import json
import os
import sys
import threading
import traceback

sys.path.insert(0, sys.argv[2])
import nativeext


def native_tid():
    try:
        return threading.get_native_id()
    except AttributeError:
        import ctypes
        return ctypes.CDLL(None).syscall(186)  # gettid on x86_64 (2.7, 3.6, 3.7)


def ready():
    frames = traceback.extract_stack(sys._getframe(1))
    names = [f[2] for f in reversed(frames)]
    truth = {"pid": os.getpid(), "tid": native_tid(), "python": names}
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        json.dump(truth, f)
    os.rename(tmp, sys.argv[1])


def inner():
    nativeext.spin(ready)


def middle():
    inner()


def callback():
    middle()


def outer():
    nativeext.call_back(callback)


def worker():
    outer()


t = threading.Thread(target=worker, name="spinner")
t.start()
t.join()
