package dev.pyspy.output;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.zip.GZIPOutputStream;

/**
 * pprof ({@code --format pprof}): a gzipped {@code perftools.profiles.Profile} message, written by hand
 * with {@link CodedOutputStream} against the field numbers of google/pprof's {@code proto/profile.proto}.
 *
 * <p>Sample types are {@code samples/count} and {@code TYPE/nanoseconds} (count × period), TYPE the sampling
 * mode ({@code wall}, {@code cpu}, {@code gil}, {@code exception}; {@code cpu} for the default one), which is
 * also the period type and the default sample type; the comments are the title and the mode's label. Every distinct
 * (thread, stack) pair is one Sample (ordered by thread, then stack), leaf location first, labelled {@code thread_id} (num) and, when
 * known, {@code thread_name} (str). A Function is a distinct (name, full path, first line): the full path,
 * not the short name the labels show, so that {@code go tool pprof -list} finds the source on the
 * machine that recorded without {@code -source_path}. A Location is a
 * distinct (function, line), with a single Line. Synthetic frames ({@code -t}/{@code -s} roots) become
 * functions with no filename. All locations refer to one mapping that declares functions, file names
 * and line numbers present, so pprof does not try to symbolize them.
 *
 * <p>{@code Function.system_name} is left empty: Python names are not mangled, and pprof "demangles"
 * every function whose system_name equals its name, which strips anything in angle or square brackets
 * as if it were C++ template arguments, so {@code <module>} or {@code <listcomp>} would print as an
 * empty name. (The field number is kept in {@link #FUNCTION_SYSTEM_NAME} for reference.)
 */
public final class PprofWriter implements ProfileWriter {

    // Profile
    static final int PROFILE_SAMPLE_TYPE = 1;
    static final int PROFILE_SAMPLE = 2;
    static final int PROFILE_MAPPING = 3;
    static final int PROFILE_LOCATION = 4;
    static final int PROFILE_FUNCTION = 5;
    static final int PROFILE_STRING_TABLE = 6;
    static final int PROFILE_TIME_NANOS = 9;
    static final int PROFILE_DURATION_NANOS = 10;
    static final int PROFILE_PERIOD_TYPE = 11;
    static final int PROFILE_PERIOD = 12;
    static final int PROFILE_COMMENT = 13;
    static final int PROFILE_DEFAULT_SAMPLE_TYPE = 14;
    // ValueType
    static final int VALUE_TYPE_TYPE = 1;
    static final int VALUE_TYPE_UNIT = 2;
    // Sample
    static final int SAMPLE_LOCATION_ID = 1;
    static final int SAMPLE_VALUE = 2;
    static final int SAMPLE_LABEL = 3;
    // Label
    static final int LABEL_KEY = 1;
    static final int LABEL_STR = 2;
    static final int LABEL_NUM = 3;
    // Mapping
    static final int MAPPING_ID = 1;
    static final int MAPPING_FILENAME = 5;
    static final int MAPPING_HAS_FUNCTIONS = 7;
    static final int MAPPING_HAS_FILENAMES = 8;
    static final int MAPPING_HAS_LINE_NUMBERS = 9;
    // Location
    static final int LOCATION_ID = 1;
    static final int LOCATION_MAPPING_ID = 2;
    static final int LOCATION_LINE = 4;
    // Line
    static final int LINE_FUNCTION_ID = 1;
    static final int LINE_LINE = 2;
    // Function
    static final int FUNCTION_ID = 1;
    static final int FUNCTION_NAME = 2;
    static final int FUNCTION_SYSTEM_NAME = 3;
    static final int FUNCTION_FILENAME = 4;
    static final int FUNCTION_START_LINE = 5;

    @Override
    public void write(Profile profile, OutputStream out) throws IOException {
        GZIPOutputStream gz = new GZIPOutputStream(out, 64 * 1024);
        CodedOutputStream cos = CodedOutputStream.newInstance(gz, 64 * 1024);
        encode(profile, cos);
        cos.flush();
        gz.finish();
        gz.flush();
    }

    /** Writes the uncompressed Profile message. */
    static void encode(Profile profile, CodedOutputStream cos) throws IOException {
        Strings strings = new Strings();
        long periodNanos = Math.max(1L, Math.round(profile.intervalSeconds() * 1e9));

        long samplesIdx = strings.id("samples");
        long countIdx = strings.id("count");
        // the time a sample stands for is named after the mode: wall, cpu, gil, exception time
        long timeIdx = strings.id(timeType(profile));
        long nanosIdx = strings.id("nanoseconds");
        long threadIdIdx = strings.id("thread_id");
        long threadNameIdx = strings.id("thread_name");

        // Functions and locations, one location per frame id (deduplicated by function and line).
        Map<FunctionKey, Integer> functionIds = new LinkedHashMap<>();
        Map<LocationKey, Integer> locationIds = new LinkedHashMap<>();
        int[] frameLocation = new int[profile.frames().size()];
        for (int i = 0; i < frameLocation.length; i++) {
            FrameInfo f = profile.frame(i);
            FunctionKey key = FunctionKey.of(f);
            Integer fid = functionIds.get(key);
            if (fid == null) {
                fid = functionIds.size() + 1;
                functionIds.put(key, fid);
            }
            LocationKey lkey = new LocationKey(fid, f.line());
            Integer lid = locationIds.get(lkey);
            if (lid == null) {
                lid = locationIds.size() + 1;
                locationIds.put(lkey, lid);
            }
            frameLocation[i] = lid;
        }

        // One pprof sample per (thread, stack), in a stable order.
        long[] pairs = profile.threadStackPairs();
        Arrays.sort(pairs);

        // sample_type
        writeValueType(cos, PROFILE_SAMPLE_TYPE, samplesIdx, countIdx);
        writeValueType(cos, PROFILE_SAMPLE_TYPE, timeIdx, nanosIdx);

        // sample
        List<ProfileThread> threads = profile.threads();
        long[] threadNameStr = new long[threads.size()];
        for (int t = 0; t < threads.size(); t++) {
            String name = threads.get(t).name();
            threadNameStr[t] = name == null ? 0 : strings.id(name);
        }
        Message msg = new Message();
        Message label = new Message();
        for (long pair : pairs) {
            long count = profile.threadStackCount(pair);
            int thread = (int) (pair >>> 32);
            int stackId = (int) (pair & 0xffffffffL);
            int[] stack = profile.stack(stackId);
            msg.reset();
            // location_id, packed, leaf first
            int size = 0;
            for (int i = stack.length - 1; i >= 0; i--) {
                size += CodedOutputStream.computeUInt64SizeNoTag(frameLocation[stack[i]]);
            }
            if (stack.length > 0) {
                msg.out.writeTag(SAMPLE_LOCATION_ID, WireFormat.WIRETYPE_LENGTH_DELIMITED);
                msg.out.writeUInt32NoTag(size);
                for (int i = stack.length - 1; i >= 0; i--) {
                    msg.out.writeUInt64NoTag(frameLocation[stack[i]]);
                }
            }
            long v0 = count;
            long v1 = count * periodNanos;
            msg.out.writeTag(SAMPLE_VALUE, WireFormat.WIRETYPE_LENGTH_DELIMITED);
            msg.out.writeUInt32NoTag(CodedOutputStream.computeInt64SizeNoTag(v0)
                    + CodedOutputStream.computeInt64SizeNoTag(v1));
            msg.out.writeInt64NoTag(v0);
            msg.out.writeInt64NoTag(v1);
            if (thread < threads.size()) {
                ProfileThread ti = threads.get(thread);
                label.reset();
                label.out.writeInt64(LABEL_KEY, threadIdIdx);
                label.out.writeInt64(LABEL_NUM, ti.osThreadId());
                msg.out.writeByteArray(SAMPLE_LABEL, label.bytes());
                if (threadNameStr[thread] != 0) {
                    label.reset();
                    label.out.writeInt64(LABEL_KEY, threadNameIdx);
                    label.out.writeInt64(LABEL_STR, threadNameStr[thread]);
                    msg.out.writeByteArray(SAMPLE_LABEL, label.bytes());
                }
            }
            cos.writeByteArray(PROFILE_SAMPLE, msg.bytes());
        }

        // mapping: one, standing for the interpreter, with symbols already resolved
        msg.reset();
        msg.out.writeUInt64(MAPPING_ID, 1);
        msg.out.writeInt64(MAPPING_FILENAME, strings.id("python"));
        msg.out.writeBool(MAPPING_HAS_FUNCTIONS, true);
        msg.out.writeBool(MAPPING_HAS_FILENAMES, true);
        msg.out.writeBool(MAPPING_HAS_LINE_NUMBERS, true);
        cos.writeByteArray(PROFILE_MAPPING, msg.bytes());

        // location
        Message line = new Message();
        for (Map.Entry<LocationKey, Integer> e : locationIds.entrySet()) {
            long fid = e.getKey().functionId();
            long lineNo = e.getKey().line();
            msg.reset();
            msg.out.writeUInt64(LOCATION_ID, e.getValue());
            msg.out.writeUInt64(LOCATION_MAPPING_ID, 1);
            line.reset();
            line.out.writeUInt64(LINE_FUNCTION_ID, fid);
            if (lineNo != 0) {
                line.out.writeInt64(LINE_LINE, lineNo);
            }
            msg.out.writeByteArray(LOCATION_LINE, line.bytes());
            cos.writeByteArray(PROFILE_LOCATION, msg.bytes());
        }

        // function
        for (Map.Entry<FunctionKey, Integer> e : functionIds.entrySet()) {
            FunctionKey k = e.getKey();
            msg.reset();
            msg.out.writeUInt64(FUNCTION_ID, e.getValue());
            msg.out.writeInt64(FUNCTION_NAME, strings.id(k.name));
            // system_name stays empty on purpose, see the class comment.
            if (k.filename != null) {
                msg.out.writeInt64(FUNCTION_FILENAME, strings.id(k.filename));
            }
            if (k.startLine != 0) {
                msg.out.writeInt64(FUNCTION_START_LINE, k.startLine);
            }
            cos.writeByteArray(PROFILE_FUNCTION, msg.bytes());
        }

        long titleIdx = profile.title() == null || profile.title().isEmpty() ? 0 : strings.id(profile.title());
        long modeIdx = profile.modeLabel() == null ? 0 : strings.id(profile.modeLabel());

        // scalars
        if (profile.startEpochMillis() != 0) {
            cos.writeInt64(PROFILE_TIME_NANOS, profile.startEpochMillis() * 1_000_000L);
        }
        if (profile.durationNanos() != 0) {
            cos.writeInt64(PROFILE_DURATION_NANOS, profile.durationNanos());
        }
        writeValueType(cos, PROFILE_PERIOD_TYPE, timeIdx, nanosIdx);
        cos.writeInt64(PROFILE_PERIOD, periodNanos);
        if (titleIdx != 0) {
            cos.writeInt64(PROFILE_COMMENT, titleIdx);
        }
        if (modeIdx != 0) {
            cos.writeInt64(PROFILE_COMMENT, modeIdx);
        }
        cos.writeInt64(PROFILE_DEFAULT_SAMPLE_TYPE, timeIdx);

        // string_table last: every index above is already assigned
        for (String s : strings.list) {
            cos.writeString(PROFILE_STRING_TABLE, s);
        }
    }

    /** The type of the time values: the mode's name; {@code cpu} for the default mode and an unknown one, as before modes. */
    static String timeType(Profile profile) {
        return profile.mode() == null || profile.mode().equals("active") ? "cpu" : profile.mode();
    }

    private static void writeValueType(CodedOutputStream cos, int field, long type, long unit) throws IOException {
        Message m = new Message();
        m.out.writeInt64(VALUE_TYPE_TYPE, type);
        m.out.writeInt64(VALUE_TYPE_UNIT, unit);
        cos.writeByteArray(field, m.bytes());
    }

    @Override
    public String extension() {
        return "pprof";
    }

    /** The string table: index 0 is always "". */
    private static final class Strings {
        final List<String> list = new ArrayList<>();
        final Map<String, Integer> ids = new HashMap<>();

        Strings() {
            id("");
        }

        long id(String s) {
            Integer id = ids.get(s);
            if (id == null) {
                id = list.size();
                list.add(s);
                ids.put(s, id);
            }
            return id;
        }
    }

    private record LocationKey(int functionId, int line) {
        @Override
        public int hashCode() {
            return mix(functionId, line, 0);
        }
    }

    private record FunctionKey(String name, String filename, int startLine) {
        @Override
        public int hashCode() {
            return mix(name.hashCode(), Objects.hashCode(filename), startLine);
        }

        static FunctionKey of(FrameInfo f) {
            if (f.isSynthetic()) {
                return new FunctionKey(Objects.requireNonNullElse(f.name(), ""), null, 0);
            }
            return new FunctionKey(Objects.requireNonNullElse(f.name(), ""), f.path(), f.firstLine());
        }
    }

    /**
     * Combines hash codes so that structured inputs (names and files differing in one digit) do not
     * collide the way {@code 31 * a + b} does.
     */
    static int mix(int a, int b, int c) {
        long h = a * 0x9E3779B97F4A7C15L;
        h ^= (b + 0x632BE59BD9B4E019L) * 0xC2B2AE3D27D4EB4FL;
        h ^= (c + 0x165667B19E3779F9L) * 0x94D049BB133111EBL;
        h ^= h >>> 31;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 29;
        return (int) (h ^ (h >>> 32));
    }

    /** A reusable buffer for one nested message. */
    private static final class Message {
        final ByteArrayOutputStream buf = new ByteArrayOutputStream(256);
        final CodedOutputStream out = CodedOutputStream.newInstance(buf, 256);

        void reset() throws IOException {
            out.flush();
            buf.reset();
        }

        byte[] bytes() throws IOException {
            out.flush();
            return buf.toByteArray();
        }
    }
}
