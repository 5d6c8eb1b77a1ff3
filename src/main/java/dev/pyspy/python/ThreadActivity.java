package dev.pyspy.python;

/**
 * Whether a thread was doing work, as py-spy decides it: idle when the kernel says it is not running
 * ('R' = running or runnable), and also when its innermost frame is a well-known waiting call, even
 * if the kernel says it runs (a thread that wakes from select or a condition wait for an instant is
 * still a waiting thread: without this a server's profile fills with its select loop). The calls:
 * py-spy's ({@code wait} in threading.py, {@code select} in selectors.py, {@code poll} in asyncore.py
 * or in zmq, gevent and tornado) and a few more that only stand innermost while blocked in C
 * ({@code Thread.join}'s lock wait, {@code Queue.get}, {@code socket.accept}).
 */
public final class ThreadActivity {
    private ThreadActivity() {
    }

    public static boolean isActive(char kernelState, RawThreadStack t) {
        if (kernelState != 0 && kernelState != 'R') {
            return false;
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
        return named(name, "poll") && (file.endsWith("asyncore.py") || file.contains("zmq")
                || file.contains("gevent") || file.contains("tornado"));
    }

    /** Whether the last part of a (qualified) name is {@code plain}: {@code wait} or {@code Condition.wait}. */
    private static boolean named(String name, String plain) {
        int rest = name.length() - plain.length();
        return name.endsWith(plain) && (rest == 0 || name.charAt(rest - 1) == '.');
    }
}
