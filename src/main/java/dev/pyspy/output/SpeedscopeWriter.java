package dev.pyspy.output;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/**
 * speedscope's own file format ({@code --format speedscope}): one {@code sampled} profile per thread,
 * frames shared between them.
 *
 * <p>Layout, as speedscope's file-format spec describes it: {@code $schema}, {@code shared.frames}
 * (name; file (the full path, which speedscope shows beside the name), but not for a synthetic root frame; line and col, null where unknown, as py-spy writes them), {@code profiles[]} each with
 * {@code type: "sampled"}, {@code name} (py-spy's {@code Thread TID "name"}, prefixed with
 * {@code Process PID} when the profile holds several processes),
 * {@code unit}, {@code startValue}, {@code endValue}, {@code samples} (frame indices, root first) and
 * {@code weights} (one per sample); then {@code name} (the title, then the sampling mode in brackets:
 * {@code python app.py (mode: wall (every thread in every sample))}), {@code activeProfileIndex} (the {@link PrimaryThread},
 * which speedscope opens on) and {@code exporter}.
 * The frame index is the profile's own frame id. Each sample weighs {@link Profile#intervalSeconds()}
 * seconds; a thread's profile runs from 0 to the sum of its weights.
 */
public final class SpeedscopeWriter implements ProfileWriter {
    public static final String SCHEMA = "https://www.speedscope.app/file-format-schema.json";

    private static final JsonFactory JSON = JsonFactory.builder().build();

    private final String exporter;

    public SpeedscopeWriter() {
        this(defaultExporter());
    }

    /** @param exporter text of the {@code exporter} field, e.g. {@code pyspy 0.1.0} */
    public SpeedscopeWriter(String exporter) {
        this.exporter = exporter;
    }

    @Override
    public void write(Profile profile, OutputStream out) throws IOException {
        List<ProfileThread> threads = profile.threads();
        // Samples of each thread, in recording order.
        int[][] byThread = samplesByThread(profile);
        double weight = profile.intervalSeconds();

        JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8);
        g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        g.writeStartObject();
        g.writeStringField("$schema", SCHEMA);

        g.writeObjectFieldStart("shared");
        g.writeArrayFieldStart("frames");
        for (FrameInfo f : profile.frames()) {
            g.writeStartObject();
            String name = f.name() == null ? "" : f.name();
            // --opcodes: speedscope has no field for the instruction, so the name carries it
            g.writeStringField("name", f.instruction() == null ? name : name + " " + f.instruction());
            if (f.filename() != null) {
                g.writeStringField("file", f.path());
            }
            if (f.line() > 0) {
                g.writeNumberField("line", f.line());
            } else {
                g.writeNullField("line");
            }
            if (f.column() > 0) {
                g.writeNumberField("col", f.column());
            } else {
                g.writeNullField("col");
            }
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();

        boolean severalProcesses = threads.stream().mapToInt(ProfileThread::pid).distinct().count() > 1;
        g.writeArrayFieldStart("profiles");
        for (int t = 0; t < threads.size(); t++) {
            int[] samples = byThread[t];
            g.writeStartObject();
            g.writeStringField("type", "sampled");
            g.writeStringField("name", profileName(threads.get(t), severalProcesses));
            g.writeStringField("unit", "seconds");
            g.writeNumberField("startValue", 0.0);
            g.writeNumberField("endValue", samples.length * weight);
            g.writeArrayFieldStart("samples");
            for (int s : samples) {
                int[] stack = profile.stack(profile.sampleStack(s));
                g.writeArray(stack, 0, stack.length);
            }
            g.writeEndArray();
            g.writeArrayFieldStart("weights");
            for (int i = 0; i < samples.length; i++) {
                g.writeNumber(weight);
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        g.writeEndArray();

        g.writeStringField("name", name(profile));
        g.writeNumberField("activeProfileIndex", threads.isEmpty() ? 0 : PrimaryThread.of(profile));
        g.writeStringField("exporter", exporter);
        g.writeEndObject();
        g.flush();
    }

    /** The file's name, which speedscope shows as its title: the profile's title, then its mode. */
    static String name(Profile profile) {
        String title = profile.title() == null ? "" : profile.title();
        if (profile.mode() == null) {
            return title;
        }
        return title.isEmpty() ? profile.modeLabel() : title + " (" + profile.modeLabel() + ")";
    }

    /** py-spy's profile name, so that tools reading its speedscope files read ours. */
    static String profileName(ProfileThread thread, boolean withProcess) {
        String name = "Thread " + thread.osThreadId() + " \"" + (thread.name() == null ? "" : thread.name()) + "\"";
        return withProcess ? "Process " + thread.pid() + " " + name : name;
    }

    /** Sample indices grouped by thread index, each group in recording order. */
    static int[][] samplesByThread(Profile profile) {
        int threads = profile.threads().size();
        int[] sizes = new int[threads];
        for (int i = 0; i < profile.sampleCount(); i++) {
            sizes[profile.sampleThread(i)]++;
        }
        int[][] result = new int[threads][];
        for (int t = 0; t < threads; t++) {
            result[t] = new int[sizes[t]];
        }
        int[] fill = new int[threads];
        for (int i = 0; i < profile.sampleCount(); i++) {
            int t = profile.sampleThread(i);
            result[t][fill[t]++] = i;
        }
        return result;
    }

    static String defaultExporter() {
        String v = SpeedscopeWriter.class.getPackage().getImplementationVersion();
        return v == null ? "pyspy" : "pyspy " + v;
    }

    @Override
    public String extension() {
        return "json";
    }
}
