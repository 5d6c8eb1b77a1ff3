package dev.pyspy.unwind;

/** An unwind table that does not parse or a rule that cannot be applied: the unwind stops there. */
final class CfiException extends RuntimeException {

    CfiException(String message) {
        super(message, null, false, false);
    }
}
