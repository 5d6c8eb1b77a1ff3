"""Makes, runs and drops code objects for argv[2] seconds, so new ones keep landing where freed ones
were: round i compiles a module "gen_i.py" defining 1-3 functions f_i_0.. at lines that move from
round to round, and calls the last one, which spins a few milliseconds. At the end writes the truth
to argv[1]: {"gen_i.py": {"call": the module's calling line, "callee": its name,
"functions": {name: [first line, last line]}}}. Runs on Python 2.7 and 3.6+."""
import json
import sys
import time

FUNCTION = """def %s(end):
    n = 0
    while time.time() < end:
        n += 1
    return n
"""


def source(i):
    lines = [""] * ((i * 7) % 23)
    functions = {}
    for k in range(1 + i % 3):
        name = "f_%d_%d" % (i, k)
        body = (FUNCTION % name).splitlines()
        functions[name] = [len(lines) + 1, len(lines) + len(body)]
        lines.extend(body)
        lines.extend([""] * ((i + k) % 4))
    callee = "f_%d_%d" % (i, i % 3)
    lines.append("%s(time.time() + 0.003)" % callee)
    return "\n".join(lines) + "\n", {"call": len(lines), "callee": callee, "functions": functions}


def main():
    truth = {}
    end = time.time() + float(sys.argv[2])
    i = 0
    while time.time() < end:
        text, facts = source(i)
        filename = "gen_%d.py" % i
        truth[filename] = facts
        namespace = {"time": time}
        code = compile(text, filename, "exec")
        exec(code, namespace)
        namespace.clear()  # the functions' globals: no cycle, so everything goes now
        del code
        i += 1
    with open(sys.argv[1] + ".tmp", "w") as out:
        json.dump(truth, out)
    import os
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])


if __name__ == "__main__":
    main()
