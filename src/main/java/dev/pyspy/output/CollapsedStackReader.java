package dev.pyspy.output;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads collapsed stacks (py-spy's and pyspy's {@code raw} output, flamegraph.pl's and inferno's input)
 * back into a {@link Profile}, for {@code pyspy render} and {@code pyspy diff}.
 *
 * <p>Each non-blank line is {@code frame;frame;...;leaf COUNT}: the count is the last space-separated
 * token (frames may contain spaces), frames are split on {@code ;}, root first; a U+037E inside a
 * frame is the {@code ;} {@link RawWriter} escaped. A frame that reads as
 * {@code name (file:line)} or {@code name (file)} and prints back identically becomes a Python
 * {@link FrameInfo}; anything else is kept verbatim as a synthetic frame. A root frame written by
 * {@code -t} ({@code thread (TID)} or {@code thread (TID): name}), possibly under a {@code -s} root
 * ({@code process PID:"cmdline"}), also assigns the line's samples to that thread; other lines go to a
 * thread named {@code all}. Lines starting with {@code #} are comments. A count may be any weight up to
 * 2^63-1 (nanoseconds and bytes are common), as long as all counts together stay within it too. With a
 * timeline ({@code keepTimeline}) each count becomes that many samples, one interval apart within their
 * thread, in file order, up to {@link #MAX_TIMELINE_SAMPLES} in all.
 */
public final class CollapsedStackReader {
    /** Refuses to expand more samples than this into a timeline, rather than run out of memory. */
    public static final long MAX_TIMELINE_SAMPLES = 200_000_000L;

    private static final Pattern THREAD_ROOT = Pattern.compile("thread \\((\\d+)\\)(?:: (.*))?");
    private static final Pattern PROCESS_ROOT = Pattern.compile("process (\\d+):\".*\"");
    private static final Pattern FILE_AND_LINE = Pattern.compile("(.+):(\\d+)");

    private final String title;
    private final double intervalSeconds;
    private final boolean keepTimeline;
    private boolean plainNames;

    /**
     * @param title           title of the profile read
     * @param intervalSeconds time one sample stands for (1 / rate; py-spy's default rate 100 gives 0.01)
     */
    public CollapsedStackReader(String title, double intervalSeconds) {
        this(title, intervalSeconds, true);
    }

    /**
     * @param keepTimeline whether the profile keeps every sample in order (only formats with a time axis
     *                     need it; flame graphs need only the counts, see {@link Profile#keepsTimeline()})
     */
    public CollapsedStackReader(String title, double intervalSeconds, boolean keepTimeline) {
        this.keepTimeline = keepTimeline;
        if (!(intervalSeconds > 0)) {
            throw new IllegalArgumentException("interval must be positive: " + intervalSeconds);
        }
        this.title = title;
        this.intervalSeconds = intervalSeconds;
    }

    /**
     * Labels functions by their plain names ({@code Thread.run} read as {@code run}), so that a pyspy
     * profile of 3.11+ and a py-spy one of the same program name the same functions alike.
     */
    public CollapsedStackReader plainNames(boolean plain) {
        this.plainNames = plain;
        return this;
    }

    /** Reads {@code file} (UTF-8), titled with the file name, at py-spy's default 100 samples a second. */
    public static Profile read(Path file) throws IOException {
        return new CollapsedStackReader(String.valueOf(file.getFileName()), 0.01).readFile(file);
    }

    public Profile readFile(Path file) throws IOException {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return read(r, file.toString());
        }
    }

    /**
     * Reads collapsed stacks from {@code in}.
     *
     * @param source name used in error messages
     * @throws IOException on a read error or a malformed line ({@code source:line: message})
     */
    public Profile read(Reader in, String source) throws IOException {
        BufferedReader r = in instanceof BufferedReader b ? b : new BufferedReader(in);
        Profile profile = new Profile(title, intervalSeconds, 0, keepTimeline);
        long intervalNanos = Math.max(1L, Math.round(intervalSeconds * 1e9));
        Map<String, Integer> frameIds = new HashMap<>();
        Map<Integer, long[]> threadClock = new HashMap<>();
        int[] ids = new int[64];
        long totalSamples = 0;
        String line;
        int lineNo = 0;
        while ((line = r.readLine()) != null) {
            lineNo++;
            if (lineNo == 1 && line.startsWith("\uFEFF")) {
                line = line.substring(1);
            }
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            int space = lastWhitespace(trimmed);
            if (space < 0) {
                throw new IOException(source + ":" + lineNo + ": expected 'frame;frame;... COUNT', found no count");
            }
            long count = parseCount(trimmed.substring(space + 1), source, lineNo);
            String stackText = trimmed.substring(0, space).stripTrailing();
            if (count == 0) {
                continue;
            }
            if (count > Long.MAX_VALUE - totalSamples) {
                throw new IOException(source + ":" + lineNo + ": the counts add up to more than 2^63-1");
            }
            totalSamples += count;
            if (keepTimeline && totalSamples > MAX_TIMELINE_SAMPLES) {
                throw new IOException(source + ":" + lineNo + ": more than " + MAX_TIMELINE_SAMPLES
                        + " samples in total, too many for a format with a timeline");
            }
            String[] labels = stackText.isEmpty() ? new String[0] : stackText.split(";", -1);
            if (labels.length > ids.length) {
                ids = new int[Math.max(labels.length, ids.length * 2)];
            }
            for (int i = 0; i < labels.length; i++) {
                String label = labels[i].replace(RawWriter.ESCAPED_SEMICOLON, ';');
                labels[i] = label;
                Integer id = frameIds.get(label);
                if (id == null) {
                    FrameInfo frame = parseFrame(label);
                    if (plainNames && !frame.isSynthetic()) {
                        frame = frame.withName(FrameInfo.plainName(frame.name()));
                    }
                    id = profile.frameId(frame);
                    frameIds.put(label, id);
                }
                ids[i] = id;
            }
            int stackId = profile.stackId(ids, labels.length);
            int thread = profile.threadIndex(threadOf(labels));
            long[] clock = threadClock.computeIfAbsent(thread, t -> new long[1]);
            if (keepTimeline) {
                for (long i = 0; i < count; i++) {
                    profile.addSample(clock[0], thread, stackId);
                    clock[0] += intervalNanos;
                }
            } else {
                clock[0] = saturatedAdd(clock[0], saturatedMultiply(count, intervalNanos));
                profile.addSamples(clock[0], thread, stackId, count);
            }
            profile.setDurationNanos(clock[0]);
        }
        return profile;
    }

    /** The frame a collapsed label stands for: a Python frame if it prints back the same, else synthetic. */
    public static FrameInfo parseFrame(String label) {
        if (label.endsWith(")") && !THREAD_ROOT.matcher(label).matches()) {
            int open = label.lastIndexOf(" (");
            if (open > 0) {
                String name = label.substring(0, open);
                String inner = label.substring(open + 2, label.length() - 1);
                FrameInfo candidate = null;
                Matcher m = FILE_AND_LINE.matcher(inner);
                if (m.matches()) {
                    try {
                        candidate = new FrameInfo(name, m.group(1), Integer.parseInt(m.group(2)), 0);
                    } catch (NumberFormatException e) {
                        candidate = null;
                    }
                } else if (!inner.isEmpty() && !inner.chars().allMatch(Character::isDigit)) {
                    candidate = new FrameInfo(name, inner, 0, 0);
                }
                if (candidate != null && candidate.label().equals(label)) {
                    return candidate;
                }
            }
        }
        return FrameInfo.synthetic(label);
    }

    private static ProfileThread threadOf(String[] labels) {
        int pid = 0;
        int i = 0;
        if (labels.length > 0) {
            Matcher p = PROCESS_ROOT.matcher(labels[0]);
            if (p.matches()) {
                try {
                    pid = Integer.parseInt(p.group(1));
                } catch (NumberFormatException ignored) {
                    pid = 0;
                }
                i = 1;
            }
        }
        if (i < labels.length) {
            Matcher t = THREAD_ROOT.matcher(labels[i]);
            if (t.matches()) {
                try {
                    return new ProfileThread(pid, Long.parseLong(t.group(1)), t.group(2));
                } catch (NumberFormatException ignored) {
                    // too large for a thread id: not one of ours
                }
            }
        }
        return new ProfileThread(pid, 0, "all");
    }

    private static int lastWhitespace(String s) {
        for (int i = s.length() - 1; i >= 0; i--) {
            if (Character.isWhitespace(s.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return sum < a ? Long.MAX_VALUE : sum;
    }

    private static long saturatedMultiply(long a, long b) {
        return Math.multiplyHigh(a, b) != 0 || a * b < 0 ? Long.MAX_VALUE : a * b;
    }

    private static long parseCount(String token, String source, int lineNo) throws IOException {
        try {
            long v = Long.parseLong(token);
            if (v < 0) {
                throw new IOException(source + ":" + lineNo + ": negative count " + token);
            }
            return v;
        } catch (NumberFormatException e) {
            try {
                double d = Double.parseDouble(token);
                if (d >= 0 && d < 9.0e18) {
                    return Math.round(d);
                }
            } catch (NumberFormatException ignored) {
                // fall through
            }
            throw new IOException(source + ":" + lineNo + ": expected a sample count at the end of the line, found '"
                    + token + "'");
        }
    }
}
