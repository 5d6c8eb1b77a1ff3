package dev.pyspy.python;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ThreadActivityTest {
    private static CodeInfo code(String name, String file) {
        return new CodeInfo(1, 0x1000, name, file, file, 1, new byte[0], CodeInfo.LineFormat.LOCATION_TABLE);
    }

    @Test
    void waitingCallsOfTheStandardLibraryLookIdleByPlainOrQualifiedName() {
        assertTrue(ThreadActivity.looksIdle(code("wait", "/usr/lib/python3.11/threading.py")));
        assertTrue(ThreadActivity.looksIdle(code("Condition.wait", "/usr/lib/python3.11/threading.py")));
        assertTrue(ThreadActivity.looksIdle(code("Thread._wait_for_tstate_lock", "threading.py")));
        assertTrue(ThreadActivity.looksIdle(code("EpollSelector.select", "/usr/lib/python3.12/selectors.py")));
        assertTrue(ThreadActivity.looksIdle(code("Queue.get", "queue.py")));
        assertTrue(ThreadActivity.looksIdle(code("socket.accept", "socket.py")));
        assertTrue(ThreadActivity.looksIdle(code("dispatcher.poll", "/usr/lib/python3.8/asyncore.py")));
        assertTrue(ThreadActivity.looksIdle(code("ZMQPoller.poll", "/venv/site-packages/zmq/sugar/poll.py")));
        assertTrue(ThreadActivity.looksIdle(code("poll", "/venv/site-packages/tornado/platform/epoll.py")));
    }

    @Test
    void aWaitingFrameIsIdleEvenWhenTheKernelSaysTheThreadRuns() {
        RawThreadStack waiting = new RawThreadStack();
        waiting.push(code("Condition.wait", "/usr/lib/python3.12/threading.py"), 1, 0, false);
        RawThreadStack working = new RawThreadStack();
        working.push(code("compute", "app.py"), 1, 0, false);
        assertFalse(ThreadActivity.isActive('R', waiting), "py-spy's heuristic overrides the kernel's 'R'");
        assertFalse(ThreadActivity.isActive('S', working));
        assertTrue(ThreadActivity.isActive('R', working));
        assertTrue(ThreadActivity.isActive('\0', working));
    }

    @Test
    void otherNamesAndFilesDoNot() {
        assertFalse(ThreadActivity.looksIdle(code("rewait", "threading.py")));
        assertFalse(ThreadActivity.looksIdle(code("Condition.notify", "threading.py")));
        assertFalse(ThreadActivity.looksIdle(code("wait", "app/worker.py")));
        assertFalse(ThreadActivity.looksIdle(code("Queue.get_nowait", "queue.py")));
        assertFalse(ThreadActivity.looksIdle(code("forget", "queue.py")));
    }
}
