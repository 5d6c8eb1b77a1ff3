"""A loop whose time goes to one instruction: a dictionary lookup whose key, a huge int, is hashed
anew each time (an int's hash is not cached). Once the loop has run long enough for the interpreter
to specialise it (3.11+), writes what its own bytecode says of the lookup to the JSON file argv[1]:
{"line": the line, "column": the first column + 1 (0 before 3.11), "family": the opcode as compiled
(BINARY_SUBSCR, or BINARY_OP from 3.14), "opcode": the opcode the interpreter runs now (specialised:
BINARY_SUBSCR_DICT), "function": "lookup_loop", "caller": {"function": "main", "line": the line of its
call, "family": the call's opcode (CALL_FUNCTION, CALL)}}; then loops forever."""
import json
import os
import sys


def lookup_loop(d, key, n):
    while n:
        d[key]  # the lookup
        n -= 1


def lookup_instruction(adaptive):
    """(line, column + 1, opname) of the subscript on the lookup's line, from the function's own bytecode."""
    import dis
    line = None
    kwargs = {"adaptive": True} if adaptive else {}
    for ins in dis.get_instructions(lookup_loop, **kwargs):
        positions = getattr(ins, "positions", None)  # 3.11+
        if positions is not None:
            if positions.lineno is not None:
                line = positions.lineno
        elif ins.starts_line:
            line = ins.starts_line
        if ins.opname.startswith("BINARY_SUBSCR") or (ins.opname.startswith("BINARY_OP") and ins.argrepr == "[]"):
            column = positions.col_offset + 1 if positions is not None and positions.col_offset is not None else 0
            return line, column, ins.offset, ins.opname
    raise AssertionError("no subscript in lookup_loop")


def call_family(line):
    """The opcode of main's call on LINE: the instruction a caller's frame rests on."""
    if sys.version_info < (3, 4):
        return "CALL_FUNCTION"
    import dis
    current, family = None, None
    for ins in dis.get_instructions(main):
        positions = getattr(ins, "positions", None)  # 3.11+
        if positions is not None:
            if positions.lineno is not None:
                current = positions.lineno
        elif ins.starts_line:
            current = ins.starts_line
        if current == line and ins.opname.startswith("CALL"):
            family = ins.opname
    return family


def announce(d, key, call_line):
    if sys.version_info >= (3, 4):
        line, column, offset, family = lookup_instruction(False)
        specialised = lookup_instruction(sys.version_info >= (3, 11))[3]
    else:  # 2.7: no dis.get_instructions; the lookup is the function's only BINARY_SUBSCR
        import opcode
        code = lookup_loop.__code__
        assert chr(opcode.opmap["BINARY_SUBSCR"]) in code.co_code
        line, column, family, specialised = code.co_firstlineno + 2, 0, "BINARY_SUBSCR", "BINARY_SUBSCR"
    caller = {"function": "main", "line": call_line, "family": call_family(call_line)}
    with open(sys.argv[1] + ".tmp", "w") as f:
        json.dump({"function": "lookup_loop", "line": line, "column": column, "family": family,
                   "opcode": specialised, "caller": caller}, f)
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])


def main():
    key = 1 << 300000
    d = {key: 1}
    for _ in range(20):  # warm: 3.11+ specialises the function's instructions (3.11 counts calls)
        lookup_loop(d, key, 100)
    announce(d, key, sys._getframe().f_lineno + 1)
    lookup_loop(d, key, -1)  # counts down from -1: never 0


if __name__ == "__main__":
    main()
