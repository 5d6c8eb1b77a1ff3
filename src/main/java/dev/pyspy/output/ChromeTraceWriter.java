package dev.pyspy.output;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Trace Event Format ({@code --format chrometrace}), read by chrome://tracing, Perfetto and speedscope.
 *
 * <p>The file is a JSON array. First come {@code M} metadata events ({@code process_name} per process and
 * its {@code process_labels}, the sampling mode ({@link Profile#modeLabel()}), which the viewers show beside it;
 * {@code thread_name} per thread); then, thread by thread, duration events: each sample is compared with
 * the previous sample of the same thread, frames that left the stack get an {@code E} (leaf first) and
 * frames that entered get a {@code B} (root first), all at the sample's time. A sample stands for one
 * interval; when a thread was not seen for more than {@link #GAP_INTERVALS} intervals (idle and not
 * recorded) its open frames are closed one interval after its last sample, and after a thread's last
 * sample everything still open is closed the same way, so every {@code B} has its {@code E} and within
 * a thread timestamps never decrease. Timestamps are microseconds since the start of the recording.
 * The {@link PrimaryThread} comes first, in the metadata ({@code thread_sort_index} 0, which Perfetto
 * and chrome://tracing order by) and in the events (speedscope opens on the first thread it meets).
 */
public final class ChromeTraceWriter implements ProfileWriter {
    /** A thread unseen for longer than this many intervals is taken to have left its stack meanwhile. */
    public static final double GAP_INTERVALS = 2.0;

    private static final JsonFactory JSON = JsonFactory.builder().build();
    private static final int[] EMPTY = new int[0];

    @Override
    public void write(Profile profile, OutputStream out) throws IOException {
        List<ProfileThread> threads = profile.threads();
        int[][] byThread = SpeedscopeWriter.samplesByThread(profile);
        long intervalNanos = Math.max(1L, Math.round(profile.intervalSeconds() * 1e9));
        long gapNanos = (long) (intervalNanos * GAP_INTERVALS);

        JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8);
        g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        g.writeStartArray();

        Set<Integer> pids = new LinkedHashSet<>();
        for (ProfileThread t : threads) {
            if (pids.add(t.pid())) {
                startMetadata(g, "process_name", t.pid(), 0);
                g.writeStringField("name", profile.title() == null ? "python" : profile.title());
                endMetadata(g);
                if (profile.modeLabel() != null) {
                    startMetadata(g, "process_labels", t.pid(), 0);
                    g.writeStringField("labels", profile.modeLabel());
                    endMetadata(g);
                }
            }
        }
        int[] order = threadOrder(profile);
        for (int i = 0; i < order.length; i++) {
            ProfileThread t = threads.get(order[i]);
            startMetadata(g, "thread_name", t.pid(), t.osThreadId());
            g.writeStringField("name", t.name() == null ? t.label() : t.name());
            endMetadata(g);
            startMetadata(g, "thread_sort_index", t.pid(), t.osThreadId());
            g.writeNumberField("sort_index", i);
            endMetadata(g);
        }

        for (int t : order) {
            ProfileThread thread = threads.get(t);
            int[] open = EMPTY;
            long lastTime = 0;
            for (int s : byThread[t]) {
                long time = profile.sampleTimeNanos(s);
                int[] stack = profile.stack(profile.sampleStack(s));
                if (open.length > 0 && time - lastTime > gapNanos) {
                    emitTransition(g, profile, thread, open, EMPTY, lastTime + intervalNanos);
                    open = EMPTY;
                }
                emitTransition(g, profile, thread, open, stack, time);
                open = stack;
                lastTime = time;
            }
            emitTransition(g, profile, thread, open, EMPTY, lastTime + intervalNanos);
        }
        g.writeEndArray();
        g.flush();
    }

    /** Thread indices, the primary thread first, then the others in order of appearance. */
    static int[] threadOrder(Profile profile) {
        int n = profile.threads().size();
        int[] order = new int[n];
        if (n == 0) {
            return order;
        }
        int primary = PrimaryThread.of(profile);
        order[0] = primary;
        int k = 1;
        for (int t = 0; t < n; t++) {
            if (t != primary) {
                order[k++] = t;
            }
        }
        return order;
    }

    /** Ends the frames of {@code from} missing in {@code to} (leaf first), then begins the new ones of {@code to}. */
    private static void emitTransition(JsonGenerator g, Profile profile, ProfileThread thread,
                                       int[] from, int[] to, long timeNanos) throws IOException {
        int common = 0;
        int max = Math.min(from.length, to.length);
        while (common < max && from[common] == to[common]) {
            common++;
        }
        double ts = timeNanos / 1000.0;
        for (int i = from.length - 1; i >= common; i--) {
            event(g, profile.frame(from[i]), "E", thread, ts);
        }
        for (int i = common; i < to.length; i++) {
            event(g, profile.frame(to[i]), "B", thread, ts);
        }
    }

    private static void event(JsonGenerator g, FrameInfo frame, String phase, ProfileThread thread, double ts)
            throws IOException {
        g.writeStartObject();
        g.writeStringField("name", frame.label());
        g.writeStringField("cat", "python");
        g.writeStringField("ph", phase);
        g.writeNumberField("pid", thread.pid());
        g.writeNumberField("tid", thread.osThreadId());
        g.writeNumberField("ts", ts);
        if (phase.equals("B") && !frame.isSynthetic()) {
            g.writeObjectFieldStart("args");
            g.writeStringField("file", frame.filename());
            if (frame.line() > 0) {
                g.writeNumberField("line", frame.line());
            }
            g.writeEndObject();
        }
        g.writeEndObject();
    }

    @Override
    public String extension() {
        return "json";
    }

    /** Opens a metadata event ("ph": "M") and its args object; the caller writes the args. */
    private static void startMetadata(JsonGenerator g, String name, long pid, long tid) throws IOException {
        g.writeStartObject();
        g.writeStringField("name", name);
        g.writeStringField("ph", "M");
        g.writeNumberField("pid", pid);
        g.writeNumberField("tid", tid);
        g.writeObjectFieldStart("args");
    }

    private static void endMetadata(JsonGenerator g) throws IOException {
        g.writeEndObject();
        g.writeEndObject();
    }
}
