package dev.pyspy.cli;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.pyspy.model.Frame;
import dev.pyspy.model.LocalVariable;
import dev.pyspy.model.ThreadStack;
import dev.pyspy.python.PythonProcess;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.List;

/** Prints dump results the way py-spy does, as text or as py-spy's JSON. */
final class DumpPrinter {
    private DumpPrinter() {
    }

    /** {@code parent} ({@code PID: cmdline}) is printed for a child process of a {@code dump -s}; null otherwise. */
    static void printText(PrintStream out, PythonProcess process, String parent, List<ThreadStack> stacks) {
        out.println("Process " + process.pid() + ": " + String.join(" ", process.cmdline()));
        out.println("Python v" + process.version() + " (" + process.executable() + ")");
        if (parent != null) {
            out.println("Parent Process " + parent);
        }
        out.println();
        // as py-spy: the interpreter lists its newest thread first, the text shows the main thread first
        List<ThreadStack> oldestFirst = new java.util.ArrayList<>(stacks);
        java.util.Collections.reverse(oldestFirst);
        for (ThreadStack t : oldestFirst) {
            String status = t.ownsGil() ? "active+gil" : t.active() ? "active" : "idle";
            String id = t.osThreadId() != 0 ? Long.toString(t.osThreadId()) : String.format("0x%X", t.threadId());
            out.println("Thread " + id + " (" + status + ")" + (t.threadName() == null ? "" : ": \"" + t.threadName() + "\""));
            for (Frame f : t.frames()) {
                String file = f.shortFilename() != null ? f.shortFilename() : f.filename();
                out.println("    " + f.name() + (file == null ? "" // not Python code: a cut's marker
                        : " (" + file + (f.line() > 0 ? ":" + f.line() + (f.column() > 0 ? ":" + f.column() : "") : "")
                        + ")") + instruction(f));
                printLocals(out, f.locals());
            }
        }
    }

    /** {@code --opcodes}: the label's tail, as record's ({@code " BINARY_SUBSCR_DICT [BINARY_SUBSCR]"}); else empty. */
    private static String instruction(Frame f) {
        if (f.opcode() == null) {
            return "";
        }
        return f.opcodeFamily() == null || f.opcodeFamily().equals(f.opcode()) ? " " + f.opcode()
                : " " + f.opcode() + " [" + f.opcodeFamily() + "]";
    }

    private static void printLocals(PrintStream out, List<LocalVariable> locals) {
        boolean shownArgs = false;
        boolean shownLocals = false;
        for (LocalVariable v : locals) {
            if (v.isArgument() && !shownArgs) {
                out.println("        Arguments:");
                shownArgs = true;
            } else if (!v.isArgument() && !shownLocals) {
                out.println("        Locals:");
                shownLocals = true;
            }
            out.println("            " + v.name() + ": " + v.repr());
        }
    }

    static void printJson(PrintStream out, List<ThreadStack> stacks) {
        try (JsonGenerator g = new JsonFactory().createGenerator(out, JsonEncoding.UTF8)) {
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            g.useDefaultPrettyPrinter();
            g.writeStartArray();
            for (ThreadStack t : stacks) {
                g.writeStartObject();
                g.writeNumberField("pid", t.pid());
                g.writeNumberField("thread_id", t.threadId());
                g.writeStringField("thread_name", t.threadName());
                if (t.osThreadId() != 0) {
                    g.writeNumberField("os_thread_id", t.osThreadId());
                } else {
                    g.writeNullField("os_thread_id");
                }
                g.writeBooleanField("active", t.active());
                g.writeBooleanField("owns_gil", t.ownsGil());
                g.writeArrayFieldStart("frames");
                for (Frame f : t.frames()) {
                    writeFrame(g, f);
                }
                g.writeEndArray();
                g.writeNullField("process_info");
                g.writeEndObject();
            }
            g.writeEndArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.println();
    }

    static void writeFrame(JsonGenerator g, Frame f) throws IOException {
        g.writeStartObject();
        g.writeStringField("name", f.name());
        g.writeStringField("filename", f.filename());
        g.writeStringField("module", f.module());
        g.writeStringField("short_filename", f.shortFilename());
        g.writeNumberField("line", f.line());
        if (f.opcode() != null) { // --opcodes only: py-spy's schema stays as it is otherwise
            if (f.column() > 0) {
                g.writeNumberField("col", f.column());
            }
            g.writeStringField("opcode", f.opcode());
            g.writeStringField("opcode_family", f.opcodeFamily());
        }
        if (f.locals().isEmpty()) {
            g.writeNullField("locals");
        } else {
            g.writeArrayFieldStart("locals");
            for (LocalVariable v : f.locals()) {
                g.writeStartObject();
                g.writeStringField("name", v.name());
                g.writeNumberField("addr", v.address());
                g.writeBooleanField("arg", v.isArgument());
                g.writeStringField("repr", v.repr());
                g.writeEndObject();
            }
            g.writeEndArray();
        }
        g.writeBooleanField("is_entry", f.isEntry());
        g.writeBooleanField("is_shim_entry", f.isShimEntry());
        g.writeEndObject();
    }
}
