package dev.pyspy.process;

import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;

/** A read of the target's memory failed or returned less than asked; cheap to throw (no stack trace). */
public final class MemoryReadException extends PyspyException {

    public MemoryReadException(String message) {
        super(ExitCode.ERROR, message, false);
    }

    public MemoryReadException(long address, long length, String reason) {
        this(String.format("cannot read %d bytes at 0x%x: %s", length, address, reason));
    }
}
