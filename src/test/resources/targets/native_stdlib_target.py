"""Four threads, each in a loop of the standard library's C code, for --native: zlib.compress
(libz), hashlib.sha256 (OpenSSL's libcrypto or the built-in hash), json.dumps (_json) and a
backtracking re.match (_sre), each call short so that the GIL changes hands often. Truth (JSON, once all four run): for each thread name, its native tid
and its Python frames innermost first as its own traceback gives them, from inside the loop's
function (the frames the loop runs under), minus that traceback's own helper."""
import hashlib
import json
import os
import re
import sys
import threading
import traceback
import zlib

threads = {}
lock = threading.Lock()
started = threading.Event()


def report(name):
    frames = traceback.extract_stack(sys._getframe(1))
    with lock:
        threads[name] = {"tid": threading.get_native_id(), "python": [f[2] for f in reversed(frames)]}
        if len(threads) == 4:
            tmp = sys.argv[1] + ".tmp"
            with open(tmp, "w") as f:
                json.dump({"pid": os.getpid(), "threads": threads}, f)
            os.rename(tmp, sys.argv[1])


def compress_forever():
    data = os.urandom(1 << 14) * 64
    report("zlib")
    while True:
        zlib.compress(data, 9)


def hash_forever():
    data = b"x" * (1 << 24)
    report("hashlib")
    while True:
        hashlib.sha256(data).digest()


def encode_forever():
    obj = [{"k%d" % i: [i, str(i), None, True, 1.5]} for i in range(2000)]
    report("json")
    while True:
        json.dumps(obj)


def backtrack_forever():
    pattern = re.compile(r"(a|aa)+$")
    report("re")
    while True:
        pattern.match("a" * 16 + "b")


for name, target in [("zlib", compress_forever), ("hashlib", hash_forever), ("json", encode_forever),
                     ("re", backtrack_forever)]:
    threading.Thread(target=target, name=name, daemon=True).start()
threading.Event().wait()
