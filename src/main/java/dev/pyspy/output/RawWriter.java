package dev.pyspy.output;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * Collapsed stacks ({@code --format raw}): one line per distinct stack, {@code root;child;leaf COUNT}.
 *
 * <p>This is the input format of flamegraph.pl, inferno and speedscope's importer. Stacks are keyed by
 * their labels, so frames that print alike (same {@link FrameInfo#label()}) are merged and their
 * counts summed. Lines are sorted by stack text, which makes the output deterministic and
 * diff-friendly. Samples with an empty stack have no line.
 *
 * <p>A {@code ;} inside a name would split its frame in two, so it is written as U+037E GREEK QUESTION
 * MARK, which looks the same and is canonically equivalent to it; {@link CollapsedStackReader} turns it
 * back. flamegraph.pl and inferno show it as the semicolon it stands for; names without one are
 * written unchanged.
 */
public final class RawWriter implements ProfileWriter {

    @Override
    public void write(Profile profile, OutputStream out) throws IOException {
        Map<String, Long> counts = collapse(profile);
        Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
        for (Map.Entry<String, Long> e : counts.entrySet()) {
            w.write(e.getKey());
            w.write(' ');
            w.write(Long.toString(e.getValue()));
            w.write('\n');
        }
        w.flush();
    }

    /** Collapsed stack text to summed count, sorted by stack text; stacks without samples are left out. */
    public static Map<String, Long> collapse(Profile profile) {
        String[] labels = new String[profile.frames().size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = collapsedLabel(profile.frame(i));
        }
        Map<String, Long> counts = new TreeMap<>();
        StringBuilder sb = new StringBuilder(256);
        for (int s = 0; s < profile.stackCount(); s++) {
            long count = profile.count(s);
            int[] stack = profile.stack(s);
            if (count == 0 || stack.length == 0) {
                continue;
            }
            sb.setLength(0);
            for (int i = 0; i < stack.length; i++) {
                if (i > 0) {
                    sb.append(';');
                }
                sb.append(labels[stack[i]]);
            }
            counts.merge(sb.toString(), count, Long::sum);
        }
        return counts;
    }

    /** Stands for a {@code ;} inside a frame's label (see the class comment). */
    static final char ESCAPED_SEMICOLON = '\u037e';

    /**
     * A frame's label with line breaks flattened (a collapsed line must stay one line) and each {@code ;}
     * written as {@link #ESCAPED_SEMICOLON} (it must stay one frame).
     */
    static String collapsedLabel(FrameInfo frame) {
        String label = frame.label();
        if (label.indexOf('\n') >= 0 || label.indexOf('\r') >= 0 || label.indexOf(';') >= 0) {
            label = label.replace('\n', ' ').replace('\r', ' ').replace(';', ESCAPED_SEMICOLON);
        }
        return label;
    }

    @Override
    public String extension() {
        return "txt";
    }
}
