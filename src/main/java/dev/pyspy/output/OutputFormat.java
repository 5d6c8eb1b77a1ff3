package dev.pyspy.output;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The values of {@code --format}: each with its writer, the file name endings it writes (the first is
 * the default extension), whether it needs the sample timeline, and how to open what it wrote.
 */
public enum OutputFormat {
    FLAMEGRAPH("flamegraph", List.of("svg"), false, FlameGraphWriter::new,
            "Open it in a web browser: %s"),
    RAW("raw", List.of("txt"), false, RawWriter::new,
            "Draw it with: pyspy render %1$s (or: flamegraph.pl %1$s > flamegraph.svg)"),
    SPEEDSCOPE("speedscope", List.of("json"), true, SpeedscopeWriter::new,
            "Open it at https://www.speedscope.app (or run: npx speedscope %s)"),
    CHROMETRACE("chrometrace", List.of("json"), true, ChromeTraceWriter::new,
            "Open it at https://ui.perfetto.dev or chrome://tracing (or run: npx speedscope %s)"),
    PPROF("pprof", List.of("pprof", "pb.gz"), false, PprofWriter::new,
            "Explore it with: go tool pprof -http=: %s"),
    HTML("html", List.of("html", "htm"), false, HtmlFlameGraphWriter::new,
            "Open it in a web browser: %s"),
    GECKO("gecko", List.of("json"), true, GeckoWriter::new,
            "Open it at https://profiler.firefox.com (\"Load a profile from file\"): %s"),
    TABLE("table", List.of("txt"), false, TableWriter::new,
            "Read it with: less -S %s"),
    HEATMAP("heatmap", List.of("html", "htm"), false, HeatmapWriter::new,
            "Open it in a web browser: %s");

    /** The default of {@code --format}. */
    public static final OutputFormat DEFAULT = FLAMEGRAPH;
    /** Another name of {@link #TABLE}, as CPython's sampler calls it. */
    static final String TABLE_ALIAS = "text";

    private final String formatName;
    private final List<String> extensions;
    private final boolean needsTimeline;
    private final Supplier<ProfileWriter> factory;
    private final String openHint;

    OutputFormat(String formatName, List<String> extensions, boolean needsTimeline, Supplier<ProfileWriter> factory,
                 String openHint) {
        this.formatName = formatName;
        this.extensions = extensions;
        this.needsTimeline = needsTimeline;
        this.factory = factory;
        this.openHint = openHint;
    }

    /** The name used on the command line, lower case. */
    public String formatName() {
        return formatName;
    }

    /** File extension without the dot. */
    public String extension() {
        return extensions.get(0);
    }

    /** Whether the writer reads every sample in order (timestamps), not only the counts per stack. */
    public boolean needsTimeline() {
        return needsTimeline;
    }

    /** A writer with default options. */
    public ProfileWriter writer() {
        return factory.get();
    }

    /** A writer; the flame graph ones (SVG, HTML) with {@code flameGraphOptions}, the others with their defaults. */
    public ProfileWriter writer(FlameGraphOptions flameGraphOptions) {
        return writer(flameGraphOptions, TableOptions.DEFAULT, SourceFiles.LOCAL);
    }

    /** A writer with the options of its kind: flame graphs, the table, and where the heatmap reads sources. */
    public ProfileWriter writer(FlameGraphOptions flameGraphOptions, TableOptions tableOptions, SourceFiles sources) {
        return switch (this) {
            case FLAMEGRAPH -> new FlameGraphWriter(flameGraphOptions);
            case HTML -> new HtmlFlameGraphWriter(flameGraphOptions);
            case TABLE -> new TableWriter(tableOptions);
            case HEATMAP -> new HeatmapWriter(sources, flameGraphOptions.title());
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

    /** One line telling how to look at {@code file} once written. */
    public String openHint(Path file) {
        String shown = this == FLAMEGRAPH || this == HTML || this == HEATMAP
                ? file.toAbsolutePath().normalize().toUri().toString() : shellWord(file.toString());
        return String.format(Locale.ROOT, openHint, shown);
    }

    /** Whether a file called {@code fileName} may hold this format: its ending is ours, or no format claims it. */
    public boolean suitsFileName(String fileName) {
        return ending(fileName, extensions) != null || ofFileName(fileName) == null;
    }

    /**
     * The format a file name asks for by its ending ({@code .svg}, {@code .html}, {@code .json} for
     * speedscope, {@code .pb.gz}/{@code .pprof}, {@code .txt} for raw): the first format, in declaration
     * order, that writes it; {@code null} for other names.
     */
    public static OutputFormat ofFileName(String fileName) {
        for (OutputFormat f : values()) {
            if (ending(fileName, f.extensions) != null) {
                return f;
            }
        }
        return null;
    }

    private static String ending(String fileName, List<String> extensions) {
        String lower = fileName.toLowerCase(Locale.ROOT);
        for (String e : extensions) {
            if (lower.endsWith("." + e) && lower.length() > e.length() + 1) {
                return e;
            }
        }
        return null;
    }

    /** A path as one shell word: quoted when it holds anything but safe characters. */
    static String shellWord(String s) {
        if (s.matches("[A-Za-z0-9_./:=+,@%-]+")) {
            return s;
        }
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /**
     * The format called {@code name}, ignoring case ({@code text} is the table).
     *
     * @throws IllegalArgumentException naming the valid choices
     */
    public static OutputFormat fromName(String name) {
        if (name != null) {
            String n = name.trim().toLowerCase(Locale.ROOT);
            if (n.equals(TABLE_ALIAS)) {
                return TABLE;
            }
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
