"""Maps the file argv[2] (26 known bytes and zeros), deletes it while mapped, then ready('ok') and
sleeps: the test reads a deleted mapping (and deletes this interpreter's executable)."""
import mmap
import os
import sys
import time

from truth import ready

f = open(sys.argv[2], "w+b")
f.write(b"pyspy mapped file contents" + bytes(4096))
f.flush()
m = mmap.mmap(f.fileno(), 4096, prot=mmap.PROT_READ)
os.unlink(sys.argv[2])
ready("ok")
time.sleep(600)
