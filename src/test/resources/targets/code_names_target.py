"""Two functions made alike by exec (same file, same first line), alpha and gamma, kept alive; then
sleeps. ready('<alpha code> <alpha name> <gamma name>'): the addresses of alpha's code object, of the
name object pyspy labels it with (co_qualname where there is one) and of gamma's."""
import sys
import time

from truth import ready

SOURCE = """
def %s():
    pass
"""


def make(name):
    namespace = {}
    exec(compile(SOURCE % name, "<generated>", "exec"), namespace)
    return namespace[name]


def label(code):
    return getattr(code, "co_qualname", code.co_name)


alpha, gamma = make("alpha"), make("gamma")
hash(label(alpha.__code__)), hash(label(gamma.__code__))  # stored in the objects, as interning does
ready("%d %d %d" % (id(alpha.__code__), id(label(alpha.__code__)), id(label(gamma.__code__))))
while True:
    time.sleep(3600)
