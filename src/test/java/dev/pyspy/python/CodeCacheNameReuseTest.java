package dev.pyspy.python;

import dev.pyspy.process.MemoryReadException;
import dev.pyspy.process.ProcessMemory;
import dev.pyspy.testing.Interpreters;
import dev.pyspy.testing.Interpreters.Interpreter;
import dev.pyspy.testing.NeedsRoot;
import dev.pyspy.testing.TargetProcess;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A code object freed and another made in its place whose name, file and line table also landed at
 * the freed ones' addresses (seen on 3.7 with exec'd functions) has a header of the same pointers:
 * only the name's text tells them apart. A real interpreter's alpha and gamma, and a view of its
 * memory in which gamma's name object sits where alpha's was, stand for that: the code cache, which
 * decoded alpha, must name the code gamma from then on, whether the check is a walk's batched probe
 * or the read of an entry not probed.
 */
@NeedsRoot
class CodeCacheNameReuseTest {
    private static final int NAME_OBJECT_BYTES = 96;

    static Stream<Interpreter> interpreters() {
        return Interpreters.versionsAndNewest("2.7", "3.7", "3.12");
    }

    /** The target's memory, with the bytes at {@code at} those found at {@code from} once {@link #swapped}. */
    private static final class NameSwap implements ProcessMemory {
        final ProcessMemory memory;
        final long at;
        final long from;
        boolean swapped;

        NameSwap(ProcessMemory memory, long at, long from) {
            this.memory = memory;
            this.at = at;
            this.from = from;
        }

        @Override
        public void read(long address, ByteBuffer dst, int length) throws MemoryReadException {
            memory.read(address, dst, length);
            if (!swapped || address + length <= at || address >= at + NAME_OBJECT_BYTES) {
                return;
            }
            ByteBuffer other = ByteBuffer.allocate(NAME_OBJECT_BYTES);
            memory.read(from, other, NAME_OBJECT_BYTES);
            for (long a = Math.max(address, at); a < Math.min(address + length, at + NAME_OBJECT_BYTES); a++) {
                dst.put((int) (a - address), other.get((int) (a - at)));
            }
        }

        @Override
        public long readCalls() {
            return memory.readCalls();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interpreters")
    void aNameMadeWhereTheFreedOneWasRenamesTheCode(Interpreter interpreter) throws Exception {
        Path scripts = TargetProcess.scripts("code_names_target.py");
        try (TargetProcess target = TargetProcess.start(interpreter, scripts.resolve("code_names_target.py"))) {
            String[] ids = target.awaitReady().trim().split(" ");
            long alphaCode = Long.parseLong(ids[0]);
            PythonProcess python = PythonProcess.attach(target.pid());
            try {
                for (boolean probed : new boolean[] {false, true}) {
                    NameSwap memory = new NameSwap(python.memory(), Long.parseLong(ids[1]), Long.parseLong(ids[2]));
                    Layout layout = python.layout();
                    CodeCache codes = new CodeCache(memory, layout, new PyObjects(memory, layout, python.version()),
                            new ShortFilenames(Path.of("/"), Path.of("/")), 0);
                    codes.beginWalk();
                    assertEquals("alpha", codes.get(alphaCode).name());
                    memory.swapped = true;
                    for (int walk = 0; walk < 2; walk++) {
                        codes.beginWalk();
                        if (probed) {
                            probe(codes, memory);
                        }
                        assertEquals("gamma", codes.get(alphaCode).name(),
                                (probed ? "probed" : "read when used") + ", walk " + walk);
                    }
                }
            } finally {
                python.memory().close();
            }
        }
    }

    /** A walk's batched probe of the code objects used lately, read one range at a time. */
    private static void probe(CodeCache codes, ProcessMemory memory) throws MemoryReadException {
        int n = codes.probeCount();
        long[] addresses = new long[n];
        ByteBuffer[] buffers = new ByteBuffer[n];
        int[] lengths = new int[n];
        assertEquals(n, codes.addProbes(addresses, buffers, lengths, 0));
        for (int i = 0; i < n; i++) {
            memory.read(addresses[i], buffers[i].order(ByteOrder.LITTLE_ENDIAN), lengths[i]);
        }
        codes.checkProbes();
    }
}
