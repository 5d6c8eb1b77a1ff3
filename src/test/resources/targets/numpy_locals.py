"""numpy scalars of every kind pyspy shows by value, as the locals of one frame. Writes what each
local must show (numpy's own str of the value; bools as py-spy writes them; null for a type shown as
<numpy.TYPE at 0x...>) and parks in the frame."""
import json
import time

import numpy as np

import truth


def expected_texts(variables):
    out = {}
    for name, value in variables.items():
        if isinstance(value, np.bool_):
            out[name] = "true" if value else "false"
        elif isinstance(value, (np.integer, np.float16, np.float32, np.float64)):
            out[name] = str(value)
        else:
            out[name] = None
    return out


def numpy_locals():
    b_true = np.bool_(True)
    b_false = np.bool_(False)
    i8 = np.int8(-128)
    i16 = np.int16(42)
    i32 = np.int32(-2147483648)
    i64 = np.int64(-9223372036854775807)
    ll = np.longlong(-11)
    u8 = np.uint8(255)
    u16 = np.uint16(65535)
    u32 = np.uint32(4294967295)
    u64 = np.uint64(18446744073709551615)
    ull = np.ulonglong(12)
    f16 = np.float16(0.3)
    f16_max = np.float16(65504)
    f16_tiny = np.float16(6e-8)
    f32 = np.float32(0.7)
    f32_big = np.float32(1e20)
    f32_one = np.float32(1)
    f32_inf = np.float32("-inf")
    f64 = np.float64(0.1)
    f64_nan = np.float64("nan")
    c128 = np.complex128(1 + 2j)
    truth.ready(json.dumps(expected_texts(dict(locals()))))
    time.sleep(100000)


if __name__ == "__main__":
    numpy_locals()
