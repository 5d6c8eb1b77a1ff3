package dev.pyspy.testing;

import org.junit.jupiter.api.Tag;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A test that attaches to, ptraces or reads the memory of real processes, so it needs root (or
 * CAP_SYS_PTRACE). Tagged {@code root}: surefire leaves these out and the failsafe plugin runs them
 * after the unit tests ({@code mvn verify} runs both).
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("root")
public @interface NeedsRoot {
}
