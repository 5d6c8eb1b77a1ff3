package dev.pyspy.output;

/**
 * How {@link TableWriter} lists functions.
 *
 * @param byTotal sort by total samples (the function anywhere on the stack) instead of own samples
 * @param top     rows to print; 0 prints every function
 */
public record TableOptions(boolean byTotal, int top) {
    public static final TableOptions DEFAULT = new TableOptions(false, 0);

    public TableOptions {
        if (top < 0) {
            throw new IllegalArgumentException("the number of rows must not be negative: " + top);
        }
    }
}
