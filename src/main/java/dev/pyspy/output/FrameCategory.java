package dev.pyspy.output;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where a frame's code comes from, which picks its flame graph colour family.
 *
 * <ul>
 *   <li>{@link #PROGRAM}: the program's own Python code (warm reds, oranges and yellows);</li>
 *   <li>{@link #STDLIB}: Python's standard library, files under {@code /lib/pythonX.Y/} (or
 *       {@code \Lib\} on Windows) that are not in site-packages or dist-packages, and frozen modules
 *       (blues);</li>
 *   <li>{@link #THIRD_PARTY}: installed packages, files under site-packages or dist-packages (greens);</li>
 *   <li>{@link #OTHER}: synthetic thread and process roots, native frames and anything else
 *       (greyish violets).</li>
 * </ul>
 * The category comes from the frame's full path, whatever its label shows: a short name such as
 * {@code threading.py} says nothing about where the file lives. Frames read back from collapsed
 * stacks know only their printed name.
 */
public enum FrameCategory {
    PROGRAM("your code", 0, 50, 0.80, 0.90, 0.55, 0.65),
    STDLIB("standard library", 195, 230, 0.55, 0.70, 0.58, 0.70),
    THIRD_PARTY("site-packages", 85, 140, 0.45, 0.60, 0.50, 0.62),
    OTHER("other / native", 255, 300, 0.12, 0.25, 0.62, 0.72);

    private static final Pattern STDLIB_PATH =
            Pattern.compile("(^|[/\\\\])lib[/\\\\]python\\d+(\\.\\d+)?t?[/\\\\]", Pattern.CASE_INSENSITIVE);
    private static final Pattern WINDOWS_STDLIB_PATH =
            Pattern.compile("[/\\\\]python\\d*[/\\\\]lib[/\\\\]", Pattern.CASE_INSENSITIVE);

    /** Name shown in the flame graph legend. */
    public final String legend;
    final int hueMin;
    final int hueMax;
    final double satMin;
    final double satMax;
    final double lightMin;
    final double lightMax;

    FrameCategory(String legend, int hueMin, int hueMax, double satMin, double satMax,
                  double lightMin, double lightMax) {
        this.legend = legend;
        this.hueMin = hueMin;
        this.hueMax = hueMax;
        this.satMin = satMin;
        this.satMax = satMax;
        this.lightMin = lightMin;
        this.lightMax = lightMax;
    }

    /** The category of a frame; {@code null} (the flame graph's root) is {@link #OTHER}. */
    public static FrameCategory of(FrameInfo frame) {
        if (frame == null || frame.isSynthetic()) {
            return OTHER;
        }
        String file = frame.path();
        String lower = file.toLowerCase(Locale.ROOT);
        if (lower.contains("site-packages") || lower.contains("dist-packages")) {
            return THIRD_PARTY;
        }
        if (STDLIB_PATH.matcher(file).find() || WINDOWS_STDLIB_PATH.matcher(file).find()
                || lower.startsWith("<frozen")) {
            return STDLIB;
        }
        if (lower.endsWith(".py") || lower.endsWith(".pyw") || lower.endsWith(".pyx")
                || lower.startsWith("<string") || lower.startsWith("<stdin") || lower.startsWith("<ipython")) {
            return PROGRAM;
        }
        return OTHER;
    }

    /** The colour of a frame: its category's family, shaded by a stable hash of the function name. */
    public static String color(FrameInfo frame) {
        FrameCategory c = of(frame);
        return c.color(frame == null ? "" : frame.name());
    }

    /** A colour of this family for {@code functionName}; the same name gives the same colour everywhere. */
    public String color(String functionName) {
        int h = fnv1a(functionName == null ? "" : functionName);
        double v1 = (h & 0xff) / 255.0;
        double v2 = ((h >>> 8) & 0xff) / 255.0;
        double v3 = ((h >>> 16) & 0xff) / 255.0;
        double hue = hueMin + (hueMax - hueMin) * v1;
        double sat = satMin + (satMax - satMin) * v2;
        double light = lightMin + (lightMax - lightMin) * v3;
        return hslToRgb(hue, sat, light);
    }

    /** A representative colour of the family, for the legend. */
    public String legendColor() {
        return hslToRgb((hueMin + hueMax) / 2.0, (satMin + satMax) / 2.0, (lightMin + lightMax) / 2.0);
    }

    /** 32-bit FNV-1a over the UTF-16 code units: fixed by this code, not by the JVM. */
    static int fnv1a(String s) {
        int h = 0x811c9dc5;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            h ^= c & 0xff;
            h *= 0x01000193;
            h ^= c >>> 8;
            h *= 0x01000193;
        }
        // final avalanche so that names differing in their last character still spread
        h ^= h >>> 15;
        h *= 0x2c1b3c6d;
        h ^= h >>> 12;
        return h;
    }

    static String hslToRgb(double hueDegrees, double s, double l) {
        double c = (1 - Math.abs(2 * l - 1)) * s;
        double hp = (((hueDegrees % 360) + 360) % 360) / 60.0;
        double x = c * (1 - Math.abs(hp % 2 - 1));
        double r;
        double g;
        double b;
        if (hp < 1) {
            r = c; g = x; b = 0;
        } else if (hp < 2) {
            r = x; g = c; b = 0;
        } else if (hp < 3) {
            r = 0; g = c; b = x;
        } else if (hp < 4) {
            r = 0; g = x; b = c;
        } else if (hp < 5) {
            r = x; g = 0; b = c;
        } else {
            r = c; g = 0; b = x;
        }
        double m = l - c / 2;
        return "rgb(" + channel(r + m) + "," + channel(g + m) + "," + channel(b + m) + ")";
    }

    private static int channel(double v) {
        return (int) Math.round(Math.max(0, Math.min(1, v)) * 255);
    }
}
