package dev.pyspy.output;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A page skeleton from the web resources ({@code src/main/resources/dev/pyspy/output/web}): its
 * {@code {{include NAME}}} markers are replaced by that resource when it is loaded (the style sheets and
 * scripts), its {@code {{slot}}} markers by what the writer puts there while the page is written, so a
 * page as large as the profile is streamed, never held whole.
 */
final class WebTemplate {
    private static final String DIR = "/dev/pyspy/output/web/";

    /** Writes what stands in one slot. */
    @FunctionalInterface
    interface Slot {
        void write(Writer w) throws IOException;
    }

    /** Literal text and slot names, alternating: text, slot, text, …, text. */
    private final List<String> parts;

    private WebTemplate(List<String> parts) {
        this.parts = parts;
    }

    /**
     * Loads template {@code name} and the resources it includes (which may include others and hold
     * slots), none of which may contain {@code forbidden} (the text that would end the element they
     * are embedded in).
     */
    static WebTemplate load(String name, String forbidden) {
        List<String> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        splice(name, resource(name), forbidden, parts, literal);
        parts.add(literal.toString());
        return new WebTemplate(List.copyOf(parts));
    }

    /** Appends {@code text} to the parts, its includes expanded in place and its slots split out. */
    private static void splice(String name, String text, String forbidden, List<String> parts, StringBuilder literal) {
        int at = 0;
        while (true) {
            int open = text.indexOf("{{", at);
            if (open < 0) {
                break;
            }
            int close = text.indexOf("}}", open);
            String marker = text.substring(open + 2, close);
            literal.append(text, at, open);
            if (marker.startsWith("include ")) {
                String includedName = marker.substring("include ".length());
                String included = resource(includedName);
                if (included.toLowerCase(Locale.ROOT).contains(forbidden)) {
                    throw new IllegalStateException(marker + " in " + name + " contains " + forbidden);
                }
                splice(includedName, included, forbidden, parts, literal);
            } else {
                parts.add(literal.toString());
                parts.add(marker);
                literal.setLength(0);
            }
            at = close + 2;
        }
        literal.append(text.substring(at));
    }

    /** The text of web resource {@code name}. */
    static String resource(String name) {
        try (InputStream in = WebTemplate.class.getResourceAsStream(DIR + name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + DIR + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A slot that holds {@code text} as it is (markup: escape it first where it is not). */
    static Slot text(String text) {
        return w -> w.write(text);
    }

    /** Writes the page with every slot filled; a slot without a filler is a programming error. */
    void write(Writer w, Map<String, Slot> fill) throws IOException {
        for (int i = 0; i < parts.size(); i++) {
            if (i % 2 == 0) {
                w.write(parts.get(i));
                continue;
            }
            Slot slot = fill.get(parts.get(i));
            if (slot == null) {
                throw new IllegalArgumentException("no filler for slot " + parts.get(i));
            }
            slot.write(w);
        }
    }
}
