"""Spins in spin_then_exit for 3 s, then exits with status 3 (a program pyspy top launches)."""
import sys, time
def spin_then_exit():
    end = time.time() + 3
    while time.time() < end:
        pass
spin_then_exit()
sys.exit(3)
