package dev.pyspy.jmh;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pyspy.python.LineTable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * Cost of turning an instruction offset into a line, on the largest real code objects of the
 * test vectors (worst case: the decoder walks the whole table), per table format.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class LineTableBenchmark {
    private byte[] table312;
    private int first312;
    private int last312;
    private byte[] table39;
    private int first39;
    private int last39;

    @Setup
    public void load() throws Exception {
        JsonNode big312 = largest("vectors-3.12.jsonl");
        table312 = HexFormat.of().parseHex(big312.get("table").asText());
        first312 = big312.get("firstlineno").asInt();
        last312 = big312.get("lines").size() - 1;
        JsonNode big39 = largest("vectors-3.9.jsonl");
        table39 = HexFormat.of().parseHex(big39.get("table").asText());
        first39 = big39.get("firstlineno").asInt();
        last39 = (big39.get("lines").size() - 1) * big39.path("step").asInt(2);
    }

    private static JsonNode largest(String name) throws Exception {
        ObjectMapper json = new ObjectMapper();
        JsonNode best = null;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                LineTableBenchmark.class.getResourceAsStream("/linetables/" + name), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                JsonNode n = json.readTree(line);
                if (n.has("table") && (best == null || n.get("table").asText().length() > best.get("table").asText().length())) {
                    best = n;
                }
            }
        }
        return best;
    }

    @Benchmark
    public int locationTableLastInstruction() {
        return LineTable.locationTableLine(table312, first312, last312);
    }

    @Benchmark
    public int lnotabLastInstruction() {
        return LineTable.lnotabLine(table39, first39, last39);
    }
}
