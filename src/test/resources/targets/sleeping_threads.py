"""Three threads and the main thread asleep for 600 s; ready('ok') once the three are started."""
import threading
import time

from truth import ready

for _ in range(3):
    threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
ready("ok")
time.sleep(600)
