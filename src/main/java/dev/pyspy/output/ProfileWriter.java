package dev.pyspy.output;

import java.io.IOException;
import java.io.OutputStream;

/** Turns a finished profile into one file format. */
public interface ProfileWriter {

    void write(Profile profile, OutputStream out) throws IOException;

    /** File extension without the dot, used for default output names. */
    String extension();
}
