package dev.pyspy.output;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code --plain-names}: py-spy's labels from the qualified names 3.11+ records. */
class FrameInfoPlainNameTest {
    @Test
    void thePlainNameIsTheLastPartOfTheQualifiedOne() {
        assertEquals("run", FrameInfo.plainName("Thread.run"));
        assertEquals("<listcomp>", FrameInfo.plainName("f.<locals>.<listcomp>"));
        assertEquals("<lambda>", FrameInfo.plainName("Outer.method.<locals>.<lambda>"));
        assertEquals("<module>", FrameInfo.plainName("<module>"));
        assertEquals("busy", FrameInfo.plainName("busy"));
    }
}
