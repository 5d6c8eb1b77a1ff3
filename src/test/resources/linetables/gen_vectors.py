# -*- coding: utf-8 -*-
"""Generates line-table test vectors for dev.pyspy.python.LineTable.

Run with each interpreter (the same source works on 2.7 and 3.6+):

    for py in /root/.pyenv/versions/*/bin/python; do
        $py src/test/resources/linetables/gen_vectors.py src/test/resources/linetables
    done

It compiles a sample module (plus snippets of newer syntax where the running
interpreter accepts them), walks every code object recursively and writes one
JSON object per code object to vectors-X.Y.jsonl:

    version      "X.Y" of the interpreter
    format       "lnotab27"     2.7 co_lnotab (unsigned line increments)
                 "lnotab"       3.6-3.9 co_lnotab (signed line increments)
                 "linetable310" 3.10 co_linetable
                 "locations"    3.11+ co_linetable (location table)
    unit         "byte" (<= 3.10: the decoder argument is a byte offset into
                 co_code) or "codeunit" (3.11+: index of a 2-byte code unit)
    step         distance between consecutive decoder arguments in "lines":
                 1 for 2.7 (every byte, as instructions are 1 or 3 bytes long),
                 2 for 3.6-3.10 (every instruction), 1 for 3.11+ (every code
                 unit, including CACHE and EXTENDED_ARG units)
    name, firstlineno, table (hex of the raw table bytes), codelen (bytes)
    lines        lines[i] is the line for decoder argument i*step, as returned
                 by the interpreter's own PyCode_Addr2Line (called through
                 ctypes with the byte offset), which is what frame.f_lineno
                 reports when no tracer is set. -1 means "no line" (an
                 instruction the compiler gave no location; f_lineno is then
                 None), which only exists from 3.10 on.
    negative     PyCode_Addr2Line(code, -2): a frame that has not started yet.
    probes       [[f_lasti, f_lineno], ...] taken from live frames executing the
                 sample module: f_lasti as the frame object exposes it to
                 Python (bytes in every version: 3.10+ multiply the internal
                 code-unit index by 2) and f_lineno as the frame reports it.

The expected lines are cross-checked against the pure-Python views of the same
tables (dis.findlinestarts up to 3.9, co_lines() for 3.10, co_positions() and
co_lines() for 3.11+); the script fails if they disagree with PyCode_Addr2Line.
"""
from __future__ import print_function

import binascii
import ctypes
import dis
import json
import os
import sys
import types

VERSION = "%d.%d" % sys.version_info[:2]
PY = sys.version_info[:2]

_addr2line = ctypes.pythonapi.PyCode_Addr2Line
_addr2line.argtypes = [ctypes.py_object, ctypes.c_int]
_addr2line.restype = ctypes.c_int


def blank(n):
    return "\n" * n


def comments(n, indent="    "):
    return "".join("%s# comment %d\n" % (indent, i) for i in range(n))


def many_statements(n, indent="    "):
    out = []
    for i in range(n):
        out.append("%sv%d = v%d + %d if v%d else %d\n" % (indent, i + 1, i, i, i, i))
    return out


# The sample module. Built from pieces so that line jumps of more than 127 and
# 255 lines (and byte jumps of more than 255) can be written compactly.
SAMPLE = (
    "import os\n"
    "import sys\n"
    "\n"
    "def decorator(f):\n"
    "    return f\n"
    "\n"
    "def deco_factory(arg):\n"
    "    def wrap(f):\n"
    "        return f\n"
    "    return wrap\n"
    "\n"
    "@decorator\n"
    "@deco_factory(\n"
    "    1)\n"
    "def decorated(a, b=1, *args, **kw):\n"
    "    '''Docstring.'''\n"
    "    P()\n"
    "    x = a + b\n"
    "    return x\n"
    "\n"
    "def big_jumps():\n"
    "    a = 1\n"
    + blank(150) +
    "    b = 2\n"
    "    P()\n"
    + blank(300) +
    "    c = 3\n"
    + comments(20) +
    "    P(); d = 4\n"
    + blank(1000) +
    "    return a + b + c + d\n"
    "\n"
    "def loops(n):\n"
    "    total = 0\n"
    "    for i in range(n):\n"
    "        if i % 2:\n"
    "            continue\n"
    "        total += i\n"
    + blank(200) +
    "        total -= 1\n"
    "        P()\n"
    "    while total > 0:\n"
    "        total -= 3\n"
    + blank(140) +
    "        if total == 7:\n"
    "            P()\n"
    "            break\n"
    "    else:\n"
    "        total = -1\n"
    "    for j in range(2):\n"
    "        for k in range(2):\n"
    "            if j == k:\n"
    "                P()\n"
    "    return total\n"
    "\n"
    "def call_something(*args):\n"
    "    P()\n"
    "    return len(args)\n"
    "\n"
    "def multiline(a, b):\n"
    "    result = call_something(\n"
    "        a,\n"
    "        b,\n"
    + blank(130) +
    "        a * b,\n"
    "        P(),\n"
    "    )\n"
    "    value = (a\n"
    "             + b\n"
    "             - a)\n"
    "    d = {\n"
    "        'k': a,\n"
    "        'j': [b,\n"
    "              a],\n"
    "    }\n"
    "    s = ('abc'\n"
    "         'def')\n"
    "    ok = (a < b <= 10\n"
    "          and b > 0\n"
    "          or a)\n"
    "    w = P(\n"
    + blank(260) +
    "    )\n"
    "    return result, value, d, s, ok, w\n"
    "\n"
    "def comprehensions(xs):\n"
    "    l = [x * 2 for x in xs if x]\n"
    "    s = {x for x in xs}\n"
    "    d = {x: y\n"
    "         for x, y in zip(xs, xs)}\n"
    "    g = (x\n"
    "         for x in xs)\n"
    "    nested = [[y + P() for y in range(x)]\n"
    "              for x in xs]\n"
    "    return l, s, d, list(g), nested\n"
    "\n"
    "def exceptions(x):\n"
    "    try:\n"
    "        y = 1 / x\n"
    "    except ZeroDivisionError as e:\n"
    "        P()\n"
    "        y = 0\n"
    "    except (TypeError, ValueError):\n"
    "        raise\n"
    "    else:\n"
    "        y += 1\n"
    "    finally:\n"
    "        P()\n"
    "        x = None\n"
    "    try:\n"
    "        with open(os.devnull) as fh:\n"
    "            P()\n"
    "            fh.read()\n"
    "    except Exception:\n"
    "        pass\n"
    "    try:\n"
    "        try:\n"
    "            raise KeyError(x)\n"
    "        finally:\n"
    + blank(135) +
    "            P()\n"
    "    except KeyError:\n"
    "        P()\n"
    "    return y\n"
    "\n"
    "def lambdas():\n"
    "    f = lambda a: a + 1\n"
    "    g = (lambda a,\n"
    "         b: a * b + P())\n"
    "    h = lambda: (\n"
    "        P())\n"
    "    return f(1) + g(2, 3) + h()\n"
    "\n"
    "def generator(n):\n"
    "    for i in range(n):\n"
    "        yield i\n"
    "        P()\n"
    "        yield (i\n"
    "               * 2)\n"
    "    x = yield\n"
    "    P()\n"
    "\n"
    "def outer(a):\n"
    "    def inner(b):\n"
    "        def innermost(c):\n"
    "            P()\n"
    "            return a + b + c\n"
    "        return innermost\n"
    "    return inner\n"
    "\n"
    "class Klass(object):\n"
    "    attr = 1\n"
    + blank(200) +
    "    def method(self):\n"
    "        P()\n"
    "        return self.attr\n"
    "\n"
    "    @staticmethod\n"
    "    def static():\n"
    "        return 2\n"
    "\n"
    "    @property\n"
    "    def prop(self):\n"
    "        P()\n"
    "        return 3\n"
    "\n"
    "def long_function():\n"
    "    v0 = 1\n"
    + "".join(many_statements(120)) +
    "    P()\n"
    + "".join(many_statements(60)) +
    "    return v60\n"
    "\n"
    "def one_long_line(a):\n"
    "    P(); x = [" + ", ".join("a + %d" % i for i in range(180)) + "]; P()\n"
    "    return x\n"
    "\n"
    "def backwards_call(a):\n"
    "    return call_something(\n"
    + "".join("        a + %d,\n" % i for i in range(140)) +
    "        P())\n"
    "\n"
    "def empty():\n"
    "    pass\n"
    "\n"
    "def only_doc():\n"
    "    '''Only a docstring.'''\n"
    "\n"
    "G = 0\n"
    "def uses_global():\n"
    "    global G\n"
    "    G += 1\n"
    "    assert G > 0, 'positive'\n"
    "    del G\n"
    "    if G if 'G' in globals() else 1:\n"
    "        P()\n"
    "    elif 2:\n"
    "        pass\n"
    "\n"
    "def run_all():\n"
    "    decorated(1)\n"
    "    big_jumps()\n"
    "    loops(30)\n"
    "    multiline(1, 2)\n"
    "    comprehensions([1, 2])\n"
    "    exceptions(0)\n"
    "    exceptions(1)\n"
    "    lambdas()\n"
    "    gen = generator(2)\n"
    "    for v in gen:\n"
    "        pass\n"
    "    outer(1)(2)(3)\n"
    "    k = Klass()\n"
    "    k.method()\n"
    "    k.prop\n"
    "    Klass.static()\n"
    "    long_function()\n"
    "    one_long_line(1)\n"
    "    backwards_call(1)\n"
    "    empty()\n"
    "    only_doc()\n"
    "    uses_global()\n"
    "\n"
    "P()\n"
)

# Newer syntax, compiled only where the running interpreter accepts it. Each
# snippet is a separate module that defines run().
SNIPPETS = [
    ("py3", (
        "def kwonly(a, *, b=2):\n"
        "    P()\n"
        "    return a + b\n"
        "\n"
        "def counter():\n"
        "    n = 0\n"
        "    def inc():\n"
        "        nonlocal n\n"
        "        n += 1\n"
        + blank(129) +
        "        P()\n"
        "        return n\n"
        "    return inc\n"
        "\n"
        "def delegating():\n"
        "    yield from range(2)\n"
        "    P()\n"
        "    yield from (\n"
        "        x for x in range(2))\n"
        "\n"
        "def raising_from():\n"
        "    try:\n"
        "        raise ValueError(1)\n"
        "    except ValueError as e:\n"
        "        try:\n"
        "            raise KeyError(2) from e\n"
        "        except KeyError:\n"
        "            P()\n"
        "\n"
        "def run():\n"
        "    kwonly(1)\n"
        "    counter()()\n"
        "    list(delegating())\n"
        "    raising_from()\n"
    )),
    ("async", (
        "import asyncio\n"
        "\n"
        "class Ctx(object):\n"
        "    async def __aenter__(self):\n"
        "        P()\n"
        "        return self\n"
        "    async def __aexit__(self, *exc):\n"
        "        return False\n"
        "\n"
        "class It(object):\n"
        "    def __init__(self):\n"
        "        self.n = 2\n"
        "    def __aiter__(self):\n"
        "        return self\n"
        "    async def __anext__(self):\n"
        "        if self.n == 0:\n"
        "            raise StopAsyncIteration\n"
        "        self.n -= 1\n"
        "        return self.n\n"
        "\n"
        "async def agen():\n"
        "    for i in range(2):\n"
        "        yield i\n"
        + blank(140) +
        "        P()\n"
        "\n"
        "async def coro(x):\n"
        "    async with Ctx() as c:\n"
        "        P()\n"
        "    async for v in It():\n"
        "        P()\n"
        "    async for w in agen():\n"
        "        pass\n"
        "    r = [v async for v in It()]\n"
        "    await asyncio.sleep(0)\n"
        "    P()\n"
        "    return x\n"
        "\n"
        "def run():\n"
        "    loop = asyncio.new_event_loop()\n"
        "    try:\n"
        "        loop.run_until_complete(coro(1))\n"
        "    finally:\n"
        "        loop.close()\n"
    )),
    ("fstrings", (
        "def fmt(a, b):\n"
        "    P()\n"
        "    s = f'{a!r} and {b:>10} {a + b}'\n"
        "    t = f'''{\n"
        "        a\n"
        "    }'''\n"
        "    return s, t\n"
        "\n"
        "def run():\n"
        "    fmt(1, 2)\n"
    )),
    ("walrus", (
        "def walrus(xs, /, k=0):\n"
        "    if (n := len(xs)) > 1:\n"
        "        P()\n"
        "    ys = [y for x in xs if (y := x * 2)]\n"
        "    return n, ys\n"
        "\n"
        "def run():\n"
        "    walrus([1, 2])\n"
    )),
    ("match", (
        "def matcher(v):\n"
        "    match v:\n"
        "        case [a, b, *rest]:\n"
        "            P()\n"
        "            return a\n"
        "        case {'k': x}:\n"
        + blank(150) +
        "            P()\n"
        "            return x\n"
        "        case int() | float() if v > 0:\n"
        "            return v\n"
        "        case _:\n"
        "            P()\n"
        "            return None\n"
        "\n"
        "def run():\n"
        "    matcher([1, 2, 3])\n"
        "    matcher({'k': 1})\n"
        "    matcher(5)\n"
        "    matcher('x')\n"
    )),
    ("except_star", (
        "def groups():\n"
        "    try:\n"
        "        raise ExceptionGroup('g', [ValueError(1), TypeError(2)])\n"
        "    except* ValueError:\n"
        "        P()\n"
        "    except* TypeError as e:\n"
        + blank(140) +
        "        P()\n"
        "\n"
        "def run():\n"
        "    groups()\n"
    )),
    ("type_params", (
        "type Alias[T] = list[T]\n"
        "\n"
        "def first[T](xs: list[T]) -> T:\n"
        "    P()\n"
        "    return xs[0]\n"
        "\n"
        "class Box[T]:\n"
        "    def get(self) -> T:\n"
        "        P()\n"
        "        return None\n"
        "\n"
        "def run():\n"
        "    first([1])\n"
        "    Box().get()\n"
    )),
]

# id(code) -> list of [f_lasti, f_lineno] from live frames
PROBES = {}
_keep_alive = []


def P(*ignored):
    """Records the caller frame's f_lasti and f_lineno (no tracer is set)."""
    f = sys._getframe(1)
    lineno = f.f_lineno
    pair = [f.f_lasti, -1 if lineno is None else lineno]
    seen = PROBES.setdefault(id(f.f_code), [])
    if pair not in seen:
        seen.append(pair)
    _keep_alive.append(f.f_code)
    return 0


def table_and_format(code):
    if PY < (3, 0):
        return bytearray(code.co_lnotab), "lnotab27", "byte", 1
    if PY < (3, 10):
        return bytearray(code.co_lnotab), "lnotab", "byte", 2
    if PY < (3, 11):
        return bytearray(code.co_linetable), "linetable310", "byte", 2
    return bytearray(code.co_linetable), "locations", "codeunit", 1


def expected_lines(code, unit, step):
    codelen = len(code.co_code)
    lines = []
    for arg in range(0, codelen if unit == "byte" else codelen // 2, step):
        byte_offset = arg if unit == "byte" else arg * 2
        lines.append(_addr2line(code, byte_offset))
    return lines


def cross_check(code, unit, step, lines):
    """Compares PyCode_Addr2Line's answers with the pure-Python views."""
    name = code.co_name
    if PY < (3, 10):
        starts = list(dis.findlinestarts(code))
        cur = code.co_firstlineno
        it = iter(starts)
        nxt = next(it, None)
        for i, got in enumerate(lines):
            off = i * step
            while nxt is not None and nxt[0] <= off:
                cur = nxt[1]
                nxt = next(it, None)
            if got != cur:
                raise AssertionError("%s: offset %d: Addr2Line %d, findlinestarts %d" % (name, off, got, cur))
        return
    by_byte = {}
    for start, end, line in code.co_lines():
        for b in range(start, end, 2):
            by_byte[b] = -1 if line is None else line
    for i, got in enumerate(lines):
        b = i * step if unit == "byte" else i * 2
        if by_byte.get(b) != got:
            raise AssertionError("%s: byte %d: Addr2Line %d, co_lines %r" % (name, b, got, by_byte.get(b)))
    if PY >= (3, 11):
        positions = list(code.co_positions())
        if len(positions) != len(lines):
            raise AssertionError("%s: %d positions for %d code units" % (name, len(positions), len(lines)))
        for i, (pos, got) in enumerate(zip(positions, lines)):
            want = -1 if pos[0] is None else pos[0]
            if want != got:
                raise AssertionError("%s: unit %d: Addr2Line %d, co_positions %r" % (name, i, got, pos))


def walk(code):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            for sub in walk(const):
                yield sub


def record(code, source_name):
    table, fmt, unit, step = table_and_format(code)
    lines = expected_lines(code, unit, step)
    cross_check(code, unit, step, lines)
    return {
        "version": VERSION,
        "format": fmt,
        "unit": unit,
        "step": step,
        "source": source_name,
        "name": code.co_name,
        "firstlineno": code.co_firstlineno,
        "codelen": len(code.co_code),
        "table": binascii.hexlify(bytes(table)).decode("ascii"),
        "negative": _addr2line(code, -2),
        "lines": lines,
        "probes": sorted(PROBES.get(id(code), [])),
    }


def compile_and_run(name, source, entry):
    try:
        code = compile(source, "<%s>" % name, "exec")
    except SyntaxError:
        return None
    namespace = {"P": P, "__name__": "sample_" + name}
    exec(code, namespace)
    if entry in namespace:
        namespace[entry]()
    return code


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    modules = []
    code = compile_and_run("sample", SAMPLE, "run_all")
    modules.append(("sample", code))
    for name, source in SNIPPETS:
        code = compile_and_run(name, source, "run")
        if code is not None:
            modules.append((name, code))
    path = os.path.join(out_dir, "vectors-%s.jsonl" % VERSION)
    count = 0
    with open(path, "w") as fh:
        for source_name, module in modules:
            for co in walk(module):
                fh.write(json.dumps(record(co, source_name), sort_keys=True, separators=(",", ":")))
                fh.write("\n")
                count += 1
    print("%s: %d code objects from %s -> %s (%d bytes)"
          % (VERSION, count, ", ".join(n for n, _ in modules), path, os.path.getsize(path)))


if __name__ == "__main__":
    main()
