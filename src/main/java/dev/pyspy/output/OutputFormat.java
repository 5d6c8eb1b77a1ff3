package dev.pyspy.output;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/** The values of {@code --format}, each with its writer and file extension. */
public enum OutputFormat {
    FLAMEGRAPH("flamegraph", "svg", FlameGraphWriter::new),
    RAW("raw", "txt", RawWriter::new),
    SPEEDSCOPE("speedscope", "json", SpeedscopeWriter::new),
    CHROMETRACE("chrometrace", "json", ChromeTraceWriter::new),
    PPROF("pprof", "pprof", PprofWriter::new),
    HTML("html", "html", HtmlFlameGraphWriter::new);

    /** The default of {@code --format}. */
    public static final OutputFormat DEFAULT = FLAMEGRAPH;

    private final String formatName;
    private final String extension;
    private final Supplier<ProfileWriter> factory;

    OutputFormat(String formatName, String extension, Supplier<ProfileWriter> factory) {
        this.formatName = formatName;
        this.extension = extension;
        this.factory = factory;
    }

    /** The name used on the command line, lower case. */
    public String formatName() {
        return formatName;
    }

    /** File extension without the dot. */
    public String extension() {
        return extension;
    }

    /** A writer with default options. */
    public ProfileWriter writer() {
        return factory.get();
    }

    /** A writer; the flame graph ones (SVG, HTML) with {@code flameGraphOptions}, the others with their defaults. */
    public ProfileWriter writer(FlameGraphOptions flameGraphOptions) {
        return switch (this) {
            case FLAMEGRAPH -> new FlameGraphWriter(flameGraphOptions);
            case HTML -> new HtmlFlameGraphWriter(flameGraphOptions);
            default -> factory.get();
        };
    }

    /** Whether this format is a flame graph that takes {@link FlameGraphOptions}. */
    public boolean isFlameGraph() {
        return this == FLAMEGRAPH || this == HTML;
    }

    /**
     * The {@code --min-width} used when none is given: 0.1 % for the SVG, whose size grows with every
     * frame drawn; 0 (keep every frame) for the HTML page, which draws only what is wide enough to see.
     */
    public double defaultMinWidthFraction() {
        return this == HTML ? 0 : FlameGraphOptions.DEFAULT_MIN_WIDTH_FRACTION;
    }

    /**
     * The format called {@code name}, ignoring case.
     *
     * @throws IllegalArgumentException naming the valid choices
     */
    public static OutputFormat fromName(String name) {
        if (name != null) {
            String n = name.trim().toLowerCase(Locale.ROOT);
            for (OutputFormat f : values()) {
                if (f.formatName.equals(n)) {
                    return f;
                }
            }
        }
        throw new IllegalArgumentException("unknown output format '" + name + "' (choose one of: "
                + choices() + ")");
    }

    /** The format names, comma separated, in declaration order. */
    public static String choices() {
        return Arrays.stream(values()).map(OutputFormat::formatName).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return formatName;
    }
}
