# -*- coding: utf-8 -*-
import time


def function1(seconds):
    time.sleep(seconds)


function1(100000)
