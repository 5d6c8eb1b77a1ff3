package dev.pyspy.python;

/**
 * Whether a thread was doing work: from its kernel state ('R' = running or runnable) when its tid is
 * known, otherwise from where it stands — a thread whose innermost frame is a known waiting call
 * (a lock or condition wait, select/poll, socket accept/recv) counts as idle.
 */
public final class ThreadActivity {
    private ThreadActivity() {
    }

    public static boolean isActive(char kernelState, ThreadSample t) {
        if (kernelState != 0) {
            return kernelState == 'R';
        }
        return t.depth == 0 || !looksIdle(t.codes[0]);
    }

    static boolean looksIdle(CodeInfo innermost) {
        // runs per thread per sample when tids are unknown: compares in place, allocates nothing
        String name = innermost.name();
        String file = innermost.filename();
        if (file.endsWith("threading.py")) {
            return named(name, "wait") || named(name, "_wait_for_tstate_lock") || named(name, "join");
        }
        if (file.endsWith("selectors.py") || file.endsWith("queue.py") || file.endsWith("socket.py")) {
            return named(name, "select") || named(name, "get") || named(name, "accept") || named(name, "poll");
        }
        return false;
    }

    /** Whether the last part of a (qualified) name is {@code plain}: {@code wait} or {@code Condition.wait}. */
    private static boolean named(String name, String plain) {
        int rest = name.length() - plain.length();
        return name.endsWith(plain) && (rest == 0 || name.charAt(rest - 1) == '.');
    }
}
