package dev.pyspy.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * {@code dump}'s start-up path parses plain command lines without picocli
 * ({@link DumpCommand#parsePlain}); whatever it accepts must mean exactly what picocli makes of it,
 * and whatever picocli rejects it must leave to picocli.
 */
class DumpCommandLineTest {
    private static final String[][] TOKENS = {
            {"-p", "42"}, {"--pid", "42"}, {"-p", "007"}, {"-p", "x"}, {"-p"}, {"--pid=42"}, {"-p42"},
            {"-l"}, {"-ll"}, {"--locals"}, {"-lll"}, {"-j"}, {"--json"}, {"-lj"}, {"--nonblocking"},
            {"--full-filenames"}, {"-v"}, {"--verbose"}, {"extra"}, {"--"}, {"-h"}, {"-p", "99999999999"},
    };

    @AfterEach
    void quiet() {
        Main.setVerbose(false);
    }

    @Test
    void everyLineThePlainParserAcceptsMeansWhatPicocliMakesOfIt() {
        int accepted = 0;
        for (List<String> line : lines()) {
            String[] args = line.toArray(new String[0]);
            DumpCommand plain = DumpCommand.parsePlain(args);
            DumpCommand picocli = new DumpCommand();
            boolean picocliAccepts;
            try {
                CommandLine.ParseResult r = new CommandLine(picocli).parseArgs(args);
                picocliAccepts = !r.isUsageHelpRequested() && !r.isVersionHelpRequested();
            } catch (CommandLine.ParameterException e) {
                picocliAccepts = false;
            }
            if (!picocliAccepts) {
                assertNull(plain, "picocli rejects or answers " + line + ": the plain parser must not run it");
                continue;
            }
            if (plain == null) {
                continue; // left to picocli: always allowed
            }
            accepted++;
            assertEquals(describe(picocli), describe(plain), String.join(" ", line));
        }
        // the fast path is taken for the usual spellings, not just tolerated
        assertNotNull(DumpCommand.parsePlain(new String[]{"-p", "42"}));
        assertNotNull(DumpCommand.parsePlain(new String[]{"--pid", "42", "-ll", "--json", "--nonblocking"}));
        assertEquals(true, accepted > 100, "plain lines accepted: " + accepted);
    }

    private static String describe(DumpCommand d) {
        return "pid=" + d.pid + " locals=" + d.locals.length + " json=" + d.json + " nonblocking=" + d.nonblocking
                + " full=" + d.fullFilenames;
    }

    /** Every ordered choice of up to two tokens, and of three after {@code -p 42}. */
    private static List<List<String>> lines() {
        List<List<String>> out = new ArrayList<>();
        out.add(List.of());
        for (String[] a : TOKENS) {
            out.add(List.of(a));
            for (String[] b : TOKENS) {
                out.add(concat(a, b));
                out.add(concat(TOKENS[0], a, b));
            }
        }
        return out;
    }

    private static List<String> concat(String[]... parts) {
        List<String> line = new ArrayList<>();
        for (String[] p : parts) {
            line.addAll(List.of(p));
        }
        return line;
    }
}
