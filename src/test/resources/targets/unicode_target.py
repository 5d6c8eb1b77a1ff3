# -*- coding: utf-8 -*-
"""Python 3 only: a function whose name is not ASCII, for the dump tests."""
import time


def naïve_función_λ(event):
    event.set()
    while True:
        time.sleep(3600)


def entry(event):
    naïve_función_λ(event)
