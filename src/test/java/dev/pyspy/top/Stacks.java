package dev.pyspy.top;

import dev.pyspy.python.CodeInfo;
import dev.pyspy.python.RawThreadStack;

/** Builds code objects and thread stacks for the aggregation tests. */
final class Stacks {
    private Stacks() {
    }

    static CodeInfo code(int id, String name, String file, int firstLine) {
        String shortName = file.substring(file.lastIndexOf('/') + 1);
        return new CodeInfo(id, 0x1000L * (id + 1), name, file, shortName, firstLine, new byte[0],
                CodeInfo.LineFormat.LOCATION_TABLE);
    }

    /** A stack from frames given outermost first, as (code, line) pairs: {@code stack(main, 10, work, 20)}. */
    static RawThreadStack stack(Object... codeLinePairs) {
        RawThreadStack t = new RawThreadStack();
        int n = codeLinePairs.length / 2;
        t.codes = new CodeInfo[Math.max(n, 1)];
        t.lines = new int[Math.max(n, 1)];
        for (int i = 0; i < n; i++) {
            // RawThreadStack holds the innermost frame first
            t.codes[n - 1 - i] = (CodeInfo) codeLinePairs[2 * i];
            t.lines[n - 1 - i] = (Integer) codeLinePairs[2 * i + 1];
        }
        t.depth = n;
        return t;
    }
}
