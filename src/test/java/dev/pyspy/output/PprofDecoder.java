package dev.pyspy.output;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/** Decodes the pprof files the writer produces: just enough of profile.proto, by field number. */
final class PprofDecoder {
    private PprofDecoder() {
    }

    /** Just enough of profile.proto, decoded by field number. */
    static final class Decoded {
        final List<long[]> sampleTypes = new ArrayList<>();
        final List<Sample> samples = new ArrayList<>();
        final Map<Long, long[]> locations = new HashMap<>();     // id -> {mapping, function, line}
        final Map<Long, long[]> functions = new HashMap<>();     // id -> {name, system_name, filename, start_line}
        final List<String> strings = new ArrayList<>();
        final List<Long> mappingIds = new ArrayList<>();
        long timeNanos;
        long durationNanos;
        long[] periodType;
        long period;
        long defaultSampleType;
        final List<Long> comments = new ArrayList<>();

        String str(long i) {
            return strings.get((int) i);
        }

        /** Stack of function names, leaf first. */
        List<String> names(Sample s) {
            List<String> out = new ArrayList<>();
            for (long loc : s.locationIds) {
                out.add(str(functions.get(locations.get(loc)[1])[0]));
            }
            return out;
        }
    }

    record Sample(List<Long> locationIds, List<Long> values, Map<String, Object> labels) {
    }

    static Decoded decode(byte[] gz) throws IOException {
        byte[] raw;
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
            raw = in.readAllBytes();
        }
        Decoded d = new Decoded();
        List<byte[]> labelBlobs = new ArrayList<>();
        List<Sample> pendingSamples = new ArrayList<>();
        List<List<long[]>> pendingLabels = new ArrayList<>();
        CodedInputStream in = CodedInputStream.newInstance(raw);
        int tag;
        while ((tag = in.readTag()) != 0) {
            int field = WireFormat.getTagFieldNumber(tag);
            switch (field) {
                case 1 -> d.sampleTypes.add(valueType(in.readByteArray()));
                case 2 -> {
                    List<long[]> labels = new ArrayList<>();
                    pendingSamples.add(sample(in.readByteArray(), labels));
                    pendingLabels.add(labels);
                }
                case 3 -> d.mappingIds.add(fields(in.readByteArray()).getOrDefault(1, List.of(0L)).get(0));
                case 4 -> {
                    CodedInputStream l = CodedInputStream.newInstance(in.readByteArray());
                    long id = 0;
                    long mapping = 0;
                    long function = 0;
                    long line = 0;
                    int lineCount = 0;
                    int t;
                    while ((t = l.readTag()) != 0) {
                        switch (WireFormat.getTagFieldNumber(t)) {
                            case 1 -> id = l.readUInt64();
                            case 2 -> mapping = l.readUInt64();
                            case 4 -> {
                                Map<Integer, List<Long>> lf = fields(l.readByteArray());
                                function = lf.get(1).get(0);
                                line = lf.getOrDefault(2, List.of(0L)).get(0);
                                lineCount++;
                            }
                            default -> l.skipField(t);
                        }
                    }
                    assertEquals(1, lineCount, "one Line per Location");
                    d.locations.put(id, new long[] {mapping, function, line});
                }
                case 5 -> {
                    Map<Integer, List<Long>> f = fields(in.readByteArray());
                    d.functions.put(f.get(1).get(0), new long[] {
                        f.getOrDefault(2, List.of(0L)).get(0), f.getOrDefault(3, List.of(0L)).get(0),
                        f.getOrDefault(4, List.of(0L)).get(0), f.getOrDefault(5, List.of(0L)).get(0)});
                }
                case 6 -> d.strings.add(in.readStringRequireUtf8());
                case 9 -> d.timeNanos = in.readInt64();
                case 10 -> d.durationNanos = in.readInt64();
                case 11 -> d.periodType = valueType(in.readByteArray());
                case 12 -> d.period = in.readInt64();
                case 13 -> d.comments.add(in.readInt64());
                case 14 -> d.defaultSampleType = in.readInt64();
                default -> in.skipField(tag);
            }
        }
        for (int i = 0; i < pendingSamples.size(); i++) {
            Sample s = pendingSamples.get(i);
            for (long[] label : pendingLabels.get(i)) {
                String key = d.str(label[0]);
                s.labels().put(key, label[1] != 0 ? d.str(label[1]) : (Object) label[2]);
            }
            d.samples.add(s);
        }
        return d;
    }

    private static long[] valueType(byte[] b) throws IOException {
        Map<Integer, List<Long>> f = fields(b);
        return new long[] {f.getOrDefault(1, List.of(0L)).get(0), f.getOrDefault(2, List.of(0L)).get(0)};
    }

    private static Sample sample(byte[] b, List<long[]> labels) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(b);
        List<Long> locs = new ArrayList<>();
        List<Long> values = new ArrayList<>();
        int tag;
        while ((tag = in.readTag()) != 0) {
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == 3) {
                Map<Integer, List<Long>> l = fields(in.readByteArray());
                labels.add(new long[] {l.get(1).get(0), l.getOrDefault(2, List.of(0L)).get(0),
                    l.getOrDefault(3, List.of(0L)).get(0)});
            } else if (field == 1 || field == 2) {
                List<Long> target = field == 1 ? locs : values;
                if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    int limit = in.pushLimit(in.readRawVarint32());
                    while (in.getBytesUntilLimit() > 0) {
                        target.add(in.readRawVarint64());
                    }
                    in.popLimit(limit);
                } else {
                    target.add(in.readRawVarint64());
                }
            } else {
                in.skipField(tag);
            }
        }
        return new Sample(locs, values, new HashMap<>());
    }

    /** Varint fields of a flat message, by field number. */
    private static Map<Integer, List<Long>> fields(byte[] b) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(b);
        Map<Integer, List<Long>> out = new HashMap<>();
        int tag;
        while ((tag = in.readTag()) != 0) {
            if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_VARINT) {
                out.computeIfAbsent(WireFormat.getTagFieldNumber(tag), k -> new ArrayList<>()).add(in.readRawVarint64());
            } else {
                in.skipField(tag);
            }
        }
        return out;
    }
}
