package dev.pyspy.util;

/**
 * Waits that must not end early: an interrupt is remembered, the wait resumed, and the interrupt
 * set again once it is over.
 */
public final class Uninterruptibly {
    /** A blocking call that an interrupt ends early ({@code Thread::join}, {@code CountDownLatch::await}). */
    public interface Wait {
        void run() throws InterruptedException;
    }

    private Uninterruptibly() {
    }

    public static void await(Wait wait) {
        boolean interrupted = false;
        while (true) {
            try {
                wait.run();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
