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
        String name = innermost.name();
        String file = innermost.filename();
        int dot = name.lastIndexOf('.');
        String plain = dot >= 0 ? name.substring(dot + 1) : name;
        if (file.endsWith("threading.py")) {
            return plain.equals("wait") || plain.equals("_wait_for_tstate_lock") || plain.equals("join");
        }
        if (file.endsWith("selectors.py") || file.endsWith("queue.py") || file.endsWith("socket.py")) {
            return plain.equals("select") || plain.equals("get") || plain.equals("accept") || plain.equals("poll");
        }
        return false;
    }
}
