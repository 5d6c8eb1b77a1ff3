"""Three threads that sleep argv[2] seconds; ready('ok'); then the main thread sleeps as long too
and exits with status argv[3]."""
import sys
import threading
import time

from truth import ready

seconds = float(sys.argv[2])
for _ in range(3):
    threading.Thread(target=time.sleep, args=(seconds,)).start()
ready("ok")
time.sleep(seconds)
raise SystemExit(int(sys.argv[3]))
