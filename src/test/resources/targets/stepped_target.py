"""Run by process.SyscallStepperTest while pyspy steps it one system call at a time. argv[2]:
'signal': says 'waiting PID' and waits for SIGUSR1, then says 'got SIGUSR1' and exits 0 (3 if it
never came); 'spawn': starts a thread and a child process first, says 'waiting PID THREAD CHILD'
and waits for SIGUSR1 likewise (the child is ended before it exits); 'exit': exits 7 at once."""
import os
import signal
import sys
import threading
import time

from truth import ready

mode = sys.argv[2]
if mode == "exit":
    sys.exit(7)

got = []
signal.signal(signal.SIGUSR1, lambda signum, frame: got.append(signum))
ids = "%d" % os.getpid()
child = 0
if mode == "spawn":
    child = os.fork()
    if child == 0:
        time.sleep(120)
        os._exit(0)
    thread_ids = []
    started = threading.Event()

    def sleeper():
        with open("/proc/thread-self/stat") as f:
            thread_ids.append(int(f.read().split()[0]))
        started.set()
        time.sleep(120)

    t = threading.Thread(target=sleeper)
    t.daemon = True
    t.start()
    started.wait()
    ids += " %d %d" % (thread_ids[0], child)
ready("waiting " + ids)
deadline = time.time() + 60
while not got and time.time() < deadline:
    time.sleep(0.01)
if child:
    os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)
ready("got SIGUSR1" if got else "timed out")
sys.exit(0 if got else 3)
