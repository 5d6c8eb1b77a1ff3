package dev.pyspy.output;

/**
 * How {@link FlameGraphWriter} draws.
 *
 * @param title            heading of the graph; {@code null} uses {@link Profile#title()}
 * @param width            nominal width in pixels (the SVG's width when viewed without scripts; in a
 *                         browser the graph stretches to the window)
 * @param minWidthFraction frames with less than this fraction of all samples are left out
 *                         (default 0.001, i.e. 0.1 %; 0 keeps every frame)
 * @param icicle           {@code true} (default): root on top, stacks grow down; {@code false}: the
 *                         classic flame graph, root at the bottom
 * @param frameHeight      height of one frame row in pixels
 * @param fontSize         label font size in pixels
 */
public record FlameGraphOptions(String title, int width, double minWidthFraction, boolean icicle,
                                int frameHeight, int fontSize) {
    public static final int DEFAULT_WIDTH = 1200;
    public static final double DEFAULT_MIN_WIDTH_FRACTION = 0.001;
    public static final int DEFAULT_FRAME_HEIGHT = 16;
    public static final int DEFAULT_FONT_SIZE = 12;

    public FlameGraphOptions {
        if (width < 100) {
            throw new IllegalArgumentException("flame graph width must be at least 100 pixels: " + width);
        }
        if (!(minWidthFraction >= 0 && minWidthFraction < 1)) {
            throw new IllegalArgumentException("minimum frame width must be in [0, 1): " + minWidthFraction);
        }
        if (frameHeight < 4) {
            throw new IllegalArgumentException("frame height must be at least 4 pixels: " + frameHeight);
        }
        if (fontSize < 4 || fontSize > frameHeight * 2) {
            throw new IllegalArgumentException("font size out of range: " + fontSize);
        }
    }

    public static FlameGraphOptions defaults() {
        return new FlameGraphOptions(null, DEFAULT_WIDTH, DEFAULT_MIN_WIDTH_FRACTION, true,
                DEFAULT_FRAME_HEIGHT, DEFAULT_FONT_SIZE);
    }

    public FlameGraphOptions withTitle(String newTitle) {
        return new FlameGraphOptions(newTitle, width, minWidthFraction, icicle, frameHeight, fontSize);
    }

    public FlameGraphOptions withWidth(int newWidth) {
        return new FlameGraphOptions(title, newWidth, minWidthFraction, icicle, frameHeight, fontSize);
    }

    public FlameGraphOptions withMinWidthFraction(double fraction) {
        return new FlameGraphOptions(title, width, fraction, icicle, frameHeight, fontSize);
    }

    /** {@code true}: root on top (icicle); {@code false}: root at the bottom (classic flame). */
    public FlameGraphOptions withIcicle(boolean newIcicle) {
        return new FlameGraphOptions(title, width, minWidthFraction, newIcicle, frameHeight, fontSize);
    }
}
