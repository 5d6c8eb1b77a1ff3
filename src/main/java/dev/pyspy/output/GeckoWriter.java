package dev.pyspy.output;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Firefox Profiler's processed profile format ({@code --format gecko}), which
 * profiler.firefox.com opens with "Load a profile from file".
 *
 * <p>Written as the format's documentation (firefox-devtools/profiler, docs-developer/ and
 * {@code src/types/profile.js}) describes it at {@link #PROCESSED_VERSION}, the version CPython's
 * own sampler writes; the front end upgrades older versions as it loads them. {@code meta} carries
 * the Gecko format version {@link #GECKO_VERSION} and the processed version, the interval in
 * milliseconds, the start time (milliseconds since the epoch) and the frame {@link #CATEGORIES}. Every
 * thread is a struct of column tables, each with its {@code length}: {@code samples} (stack index,
 * time in milliseconds since the start), {@code stackTable} (frame, category, prefix: a tree of stack
 * nodes, root first), {@code frameTable} (func, line, category), {@code funcTable} (name, file,
 * first line, resource) and {@code resourceTable} (one per file); strings live once in
 * {@code shared.stringArray}. File names are full paths. The {@link PrimaryThread} comes first and
 * every thread named {@code MainThread} is marked {@code isMainThread}.
 */
public final class GeckoWriter implements ProfileWriter {
    /** {@code meta.preprocessedProfileVersion}: the processed format's version. */
    public static final int PROCESSED_VERSION = 57;
    /** {@code meta.version}: the Gecko profile format version the processed one derives from. */
    public static final int GECKO_VERSION = 32;
    /** Firefox Profiler categories, in index order, one per {@link FrameCategory}; colours from its palette. */
    static final List<String[]> CATEGORIES = List.of(
            new String[]{"User code", "yellow"},
            new String[]{"Standard library", "blue"},
            new String[]{"Site-packages", "green"},
            new String[]{"Native / other", "grey"});
    static final int RESOURCE_TYPE_LIBRARY = 1;

    private static final JsonFactory JSON = JsonFactory.builder().build();

    @Override
    public void write(Profile profile, OutputStream out) throws IOException {
        Strings strings = new Strings();
        JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8);
        g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        g.writeStartObject();
        writeMeta(profile, g);
        g.writeArrayFieldStart("libs");
        g.writeEndArray();
        g.writeArrayFieldStart("threads");
        int[][] byThread = SpeedscopeWriter.samplesByThread(profile);
        for (int t : ChromeTraceWriter.threadOrder(profile)) {
            writeThread(profile, t, byThread[t], strings, g);
        }
        g.writeEndArray();
        g.writeArrayFieldStart("pages");
        g.writeEndArray();
        g.writeObjectFieldStart("shared");
        g.writeArrayFieldStart("stringArray");
        for (String s : strings.list) {
            g.writeString(s);
        }
        g.writeEndArray();
        g.writeObjectFieldStart("sources");
        g.writeNumberField("length", 0);
        g.writeArrayFieldStart("uuid");
        g.writeEndArray();
        g.writeArrayFieldStart("filename");
        g.writeEndArray();
        g.writeEndObject();
        g.writeEndObject();
        g.writeEndObject();
        g.flush();
    }

    private static void writeMeta(Profile profile, JsonGenerator g) throws IOException {
        g.writeObjectFieldStart("meta");
        g.writeNumberField("version", GECKO_VERSION);
        g.writeNumberField("preprocessedProfileVersion", PROCESSED_VERSION);
        g.writeNumberField("interval", profile.intervalSeconds() * 1000);
        g.writeNumberField("startTime", profile.startEpochMillis());
        g.writeNumberField("processType", 0);
        g.writeStringField("product", profile.title() == null ? "pyspy" : profile.title());
        g.writeStringField("importedFrom", SpeedscopeWriter.defaultExporter());
        g.writeNumberField("stackwalk", 0);
        g.writeBooleanField("symbolicated", true);
        g.writeStringField("platform", System.getProperty("os.name", ""));
        g.writeStringField("oscpu", System.getProperty("os.arch", ""));
        g.writeStringField("abi", System.getProperty("os.arch", ""));
        g.writeStringField("toolkit", "");
        // shown in the profile's information panel
        g.writeStringField("misc", profile.modeLabel() == null ? "" : profile.modeLabel());
        g.writeStringField("appBuildID", "");
        g.writeArrayFieldStart("categories");
        for (String[] c : CATEGORIES) {
            g.writeStartObject();
            g.writeStringField("name", c[0]);
            g.writeStringField("color", c[1]);
            g.writeArrayFieldStart("subcategories");
            g.writeString("Other");
            g.writeEndArray();
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("markerSchema");
        g.writeEndArray();
        g.writeObjectFieldStart("extensions");
        g.writeArrayFieldStart("id");
        g.writeEndArray();
        g.writeArrayFieldStart("name");
        g.writeEndArray();
        g.writeArrayFieldStart("baseURL");
        g.writeEndArray();
        g.writeNumberField("length", 0);
        g.writeEndObject();
        g.writeEndObject();
    }

    /** One thread's tables, built from the stacks its samples use. */
    private static void writeThread(Profile profile, int threadIndex, int[] samples, Strings strings, JsonGenerator g)
            throws IOException {
        ProfileThread thread = profile.threads().get(threadIndex);
        ThreadTables tables = new ThreadTables(profile, strings);
        int[] sampleStacks = new int[samples.length];
        for (int i = 0; i < samples.length; i++) {
            sampleStacks[i] = tables.stackNode(profile.sampleStack(samples[i]));
        }

        g.writeStartObject();
        g.writeStringField("name", thread.name() == null ? thread.label() : thread.name());
        g.writeBooleanField("isMainThread", PrimaryThread.MAIN_THREAD_NAME.equals(thread.name()));
        g.writeStringField("processName", "python (" + thread.pid() + ")");
        g.writeStringField("processType", "default");
        g.writeNumberField("processStartupTime", 0);
        g.writeNullField("processShutdownTime");
        g.writeNumberField("registerTime", 0);
        g.writeNullField("unregisterTime");
        g.writeArrayFieldStart("pausedRanges");
        g.writeEndArray();
        g.writeStringField("pid", Integer.toString(thread.pid()));
        g.writeNumberField("tid", thread.osThreadId());

        g.writeObjectFieldStart("samples");
        g.writeArrayFieldStart("stack");
        for (int s : sampleStacks) {
            writeIndex(g, s);
        }
        g.writeEndArray();
        g.writeArrayFieldStart("time");
        for (int s : samples) {
            g.writeNumber(profile.sampleTimeNanos(s) / 1e6);
        }
        g.writeEndArray();
        g.writeNullField("weight");
        g.writeStringField("weightType", "samples");
        g.writeNumberField("length", samples.length);
        g.writeEndObject();

        g.writeObjectFieldStart("stackTable");
        intColumn(g, "frame", tables.stackFrame);
        intColumn(g, "category", tables.stackCategory);
        zeros(g, "subcategory", tables.stackFrame.size());
        intColumn(g, "prefix", tables.stackPrefix);
        g.writeNumberField("length", tables.stackFrame.size());
        g.writeEndObject();

        int frames = tables.frameFunc.size();
        g.writeObjectFieldStart("frameTable");
        constant(g, "address", frames, -1);
        intColumn(g, "category", tables.frameCategory);
        zeros(g, "subcategory", frames);
        intColumn(g, "func", tables.frameFunc);
        nulls(g, "innerWindowID", frames);
        nulls(g, "implementation", frames);
        intColumn(g, "line", tables.frameLine);
        nulls(g, "column", frames);
        zeros(g, "inlineDepth", frames);
        nulls(g, "nativeSymbol", frames);
        g.writeNumberField("length", frames);
        g.writeEndObject();

        int funcs = tables.funcName.size();
        g.writeObjectFieldStart("funcTable");
        intColumn(g, "name", tables.funcName);
        booleans(g, "isJS", tables.funcIsPython);
        booleans(g, "relevantForJS", tables.funcIsPython);
        intColumn(g, "resource", tables.funcResource);
        intColumn(g, "fileName", tables.funcFile);
        intColumn(g, "lineNumber", tables.funcLine);
        nulls(g, "columnNumber", funcs);
        g.writeNumberField("length", funcs);
        g.writeEndObject();

        int resources = tables.resourceName.size();
        g.writeObjectFieldStart("resourceTable");
        nulls(g, "lib", resources);
        intColumn(g, "name", tables.resourceName);
        nulls(g, "host", resources);
        constant(g, "type", resources, RESOURCE_TYPE_LIBRARY);
        g.writeNumberField("length", resources);
        g.writeEndObject();

        g.writeObjectFieldStart("nativeSymbols");
        for (String column : new String[]{"libIndex", "address", "name", "functionSize"}) {
            g.writeArrayFieldStart(column);
            g.writeEndArray();
        }
        g.writeNumberField("length", 0);
        g.writeEndObject();

        g.writeObjectFieldStart("markers");
        for (String column : new String[]{"data", "name", "startTime", "endTime", "phase", "category"}) {
            g.writeArrayFieldStart(column);
            g.writeEndArray();
        }
        g.writeNumberField("length", 0);
        g.writeEndObject();
        g.writeEndObject();
    }

    /** A function: frames of the same code at different lines share it. */
    private record FuncKey(String name, String path, int firstLine) {
    }

    /** Stack nodes, frames, functions and resources of one thread; {@code null} entries are written as null. */
    private static final class ThreadTables {
        private final Profile profile;
        private final Strings strings;
        final List<Integer> stackFrame = new ArrayList<>();
        final List<Integer> stackCategory = new ArrayList<>();
        final List<Integer> stackPrefix = new ArrayList<>();
        private final Map<Long, Integer> stackNodes = new HashMap<>();
        private final Map<Integer, Integer> profileStackNodes = new HashMap<>();
        final List<Integer> frameFunc = new ArrayList<>();
        final List<Integer> frameLine = new ArrayList<>();
        final List<Integer> frameCategory = new ArrayList<>();
        private final Map<Integer, Integer> frameOfProfileFrame = new HashMap<>();
        final List<Integer> funcName = new ArrayList<>();
        final List<Integer> funcFile = new ArrayList<>();
        final List<Integer> funcLine = new ArrayList<>();
        final List<Integer> funcResource = new ArrayList<>();
        final List<Boolean> funcIsPython = new ArrayList<>();
        private final Map<FuncKey, Integer> funcs = new HashMap<>();
        final List<Integer> resourceName = new ArrayList<>();
        private final Map<String, Integer> resources = new HashMap<>();

        ThreadTables(Profile profile, Strings strings) {
            this.profile = profile;
            this.strings = strings;
        }

        /** The stack node of a profile stack (its leaf), made with its ancestors on first use. */
        int stackNode(int profileStack) {
            Integer known = profileStackNodes.get(profileStack);
            if (known != null) {
                return known;
            }
            int node = -1;
            for (int frameId : profile.stack(profileStack)) {
                int frame = frame(frameId);
                long key = ((long) (node + 1) << 32) | frame;
                Integer next = stackNodes.get(key);
                if (next == null) {
                    next = stackFrame.size();
                    stackFrame.add(frame);
                    stackCategory.add(frameCategory.get(frame));
                    stackPrefix.add(node < 0 ? null : node);
                    stackNodes.put(key, next);
                }
                node = next;
            }
            profileStackNodes.put(profileStack, node);
            return node;
        }

        private int frame(int profileFrame) {
            Integer known = frameOfProfileFrame.get(profileFrame);
            if (known != null) {
                return known;
            }
            FrameInfo f = profile.frame(profileFrame);
            int index = frameFunc.size();
            frameFunc.add(func(f));
            frameLine.add(f.line() > 0 ? f.line() : null);
            frameCategory.add(FrameCategory.of(f).ordinal());
            frameOfProfileFrame.put(profileFrame, index);
            return index;
        }

        private int func(FrameInfo f) {
            FuncKey key = new FuncKey(f.name(), f.path(), f.firstLine());
            Integer known = funcs.get(key);
            if (known != null) {
                return known;
            }
            int index = funcName.size();
            funcName.add(strings.id(f.name() == null ? "" : f.name()));
            boolean python = !f.isSynthetic();
            funcIsPython.add(python);
            funcFile.add(python ? strings.id(f.path()) : null);
            funcLine.add(python && f.firstLine() > 0 ? f.firstLine() : null);
            funcResource.add(python ? resource(f.path()) : null);
            funcs.put(key, index);
            return index;
        }

        private int resource(String path) {
            return resources.computeIfAbsent(path, p -> {
                resourceName.add(strings.id(p));
                return resourceName.size() - 1;
            });
        }
    }

    private static void writeIndex(JsonGenerator g, int index) throws IOException {
        if (index < 0) {
            g.writeNull();
        } else {
            g.writeNumber(index);
        }
    }

    private static void intColumn(JsonGenerator g, String name, List<Integer> values) throws IOException {
        g.writeArrayFieldStart(name);
        for (Integer v : values) {
            if (v == null) {
                g.writeNull();
            } else {
                g.writeNumber(v);
            }
        }
        g.writeEndArray();
    }

    private static void booleans(JsonGenerator g, String name, List<Boolean> values) throws IOException {
        g.writeArrayFieldStart(name);
        for (boolean v : values) {
            g.writeBoolean(v);
        }
        g.writeEndArray();
    }

    private static void constant(JsonGenerator g, String name, int length, int value) throws IOException {
        g.writeArrayFieldStart(name);
        for (int i = 0; i < length; i++) {
            g.writeNumber(value);
        }
        g.writeEndArray();
    }

    private static void zeros(JsonGenerator g, String name, int length) throws IOException {
        constant(g, name, length, 0);
    }

    private static void nulls(JsonGenerator g, String name, int length) throws IOException {
        g.writeArrayFieldStart(name);
        for (int i = 0; i < length; i++) {
            g.writeNull();
        }
        g.writeEndArray();
    }

    @Override
    public String extension() {
        return "json";
    }

    /** {@code shared.stringArray}: each string once, referred to by index. */
    private static final class Strings {
        final List<String> list = new ArrayList<>();
        private final Map<String, Integer> ids = new HashMap<>();

        int id(String s) {
            return ids.computeIfAbsent(s, k -> {
                list.add(k);
                return list.size() - 1;
            });
        }
    }
}
