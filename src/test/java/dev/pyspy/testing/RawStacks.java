package dev.pyspy.testing;

import dev.pyspy.python.RawThreadStack;

/** Walker output as text, to compare two walks of the same memory. */
public final class RawStacks {
    private RawStacks() {
    }

    /** Everything a consumer sees of a stack: functions, files, lines, entry flags, frame addresses. */
    public static String describe(RawThreadStack t) {
        StringBuilder sb = new StringBuilder().append(t.threadId).append(t.truncated ? " truncated" : "");
        for (int i = 0; i < t.depth; i++) {
            sb.append('\n').append(t.codes[i].name()).append(' ').append(t.codes[i].filename()).append(':')
                    .append(t.lines[i]).append(t.entries[i] ? " entry" : "").append(" @")
                    .append(Long.toHexString(t.frameAddresses[i]));
        }
        return sb.toString();
    }
}
