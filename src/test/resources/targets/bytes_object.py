"""Holds bytes(range(256)) * 256 (64 KiB whose byte i is i % 256) and sleeps.
ready('<id of the bytes object> <address of its data> <length>')."""
import ctypes
import time

from truth import ready

b = bytes(range(256)) * 256
data = ctypes.cast(ctypes.c_char_p(b), ctypes.c_void_p).value
ready(f"{id(b)} {data} {len(b)}")
time.sleep(600)
