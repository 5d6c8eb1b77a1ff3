"""Generates column test vectors for dev.pyspy.python.opcodes.LocationColumns (3.11+).

Run with each interpreter of 3.11 or later:

    for py in python3.11 python3.12 ...; do $py gen_columns.py .; done

It compiles gen_vectors.py (beside this file) and a few snippets with long and multi-line
expressions (long-form entries, columns past 127), walks every code object and writes one JSON
object per code object to columns-X.Y.jsonl: the raw co_linetable (hex) and, for every code unit,
the start column co_positions() gives (-1 for None).
"""
import json
import os
import sys
import types

VERSION = "%d.%d" % sys.version_info[:2]
HERE = os.path.dirname(os.path.abspath(__file__))

SNIPPETS = '''
def wide(d, k):
    return (d[k], d[k], d[k], d[k], d[k], d[k], d[k], d[k], d[k], d[k], d[k], d[k], d[k], d[k], d[k], d[k], d[k], d[k], d[k], d[k], d[k]) + (k.real, k.imag)

def tall(a, b):
    return (a +
            b +
            a.real *
            b.imag)

class C:
    def m(self, x):
        y = [i for i in range(x) if i % 3]
        return {k: v for k, v in zip(y, y)}.get(x, self)
'''


def codes(code):
    yield code
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            for inner in codes(c):
                yield inner


def main(out_dir):
    sources = [("sample", open(os.path.join(HERE, "gen_vectors.py")).read()), ("snippets", SNIPPETS)]
    with open(os.path.join(out_dir, "columns-%s.jsonl" % VERSION), "w") as out:
        for label, text in sources:
            for code in codes(compile(text, label, "exec")):
                columns = [-1 if p[2] is None else p[2] for p in code.co_positions()]
                out.write(json.dumps({"version": VERSION, "name": code.co_qualname,
                                      "table": code.co_linetable.hex(), "columns": columns}, sort_keys=True) + "\n")


main(sys.argv[1])
