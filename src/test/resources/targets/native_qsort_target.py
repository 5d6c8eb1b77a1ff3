# ctypes calling libc's qsort with a Python comparison function that spins forever, for --native:
# Python -> _ctypes -> libffi -> libc qsort -> libffi closure -> _ctypes -> Python. argv: truth file.
# Truth: the sorting thread's native tid and its Python frames innermost first, written from inside
# the comparison (before it spins), minus the helper that writes it.
import ctypes
import json
import os
import sys
import threading
import traceback


def native_tid():
    try:
        return threading.get_native_id()
    except AttributeError:
        return ctypes.CDLL(None).syscall(186)  # gettid on x86_64 (2.7, 3.6, 3.7)


def ready():
    frames = traceback.extract_stack(sys._getframe(1))
    truth = {"pid": os.getpid(), "tid": native_tid(), "python": [f[2] for f in reversed(frames)]}
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        json.dump(truth, f)
    os.rename(tmp, sys.argv[1])


def spin():
    ready()
    while True:
        pass


def compare(a, b):
    spin()
    return a[0] - b[0]


def sort():
    libc = ctypes.CDLL(None)
    cmp = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int))
    values = (ctypes.c_int * 8)(5, 3, 8, 1, 9, 2, 7, 4)
    libc.qsort(values, len(values), ctypes.sizeof(ctypes.c_int), cmp(compare))


t = threading.Thread(target=sort, name="sorter")
t.start()
t.join()
