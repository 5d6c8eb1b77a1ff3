package dev.pyspy.cli;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.pyspy.model.AsyncTask;
import dev.pyspy.model.Frame;
import dev.pyspy.python.PythonProcess;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Prints {@code dump --async-aware}: every pending asyncio task, as text or JSON. */
final class AsyncTaskPrinter {
    private AsyncTaskPrinter() {
    }

    /** A task's state: running on a thread, waiting on a future, or ready to run at the loop's next turn. */
    static String state(AsyncTask t) {
        return t.running() ? "running" : t.waitingOn() != null ? "waiting" : "ready";
    }

    static void printText(PrintStream out, PythonProcess process, List<AsyncTask> tasks) {
        out.println("Process " + process.pid() + ": " + String.join(" ", process.cmdline()));
        out.println("Python v" + process.version() + " (" + process.executable() + ")");
        out.println();
        if (tasks.isEmpty()) {
            out.println("No pending asyncio tasks");
            return;
        }
        Map<Long, String> names = new HashMap<>();
        tasks.forEach(t -> names.put(t.id(), "\"" + t.name() + "\""));
        for (AsyncTask t : tasks) {
            StringBuilder line = new StringBuilder("Task ").append(names.get(t.id())).append(" (").append(state(t));
            if (t.running()) {
                line.append(String.format(" in thread 0x%X", t.threadId()));
            }
            if (t.waitingOn() != null) {
                line.append(" on ").append(t.waitingOn().type());
                if (!t.waitingOn().tasks().isEmpty()) {
                    line.append(' ').append(nameList(t.waitingOn().tasks(), names));
                }
            }
            if (!t.awaitedBy().isEmpty()) {
                line.append("; awaited by ").append(nameList(t.awaitedBy(), names));
            }
            out.println(line.append(')'));
            for (Frame f : t.frames()) {
                String file = f.shortFilename() != null ? f.shortFilename() : f.filename();
                out.println("    " + f.name() + (file == null ? "" : " (" + file + (f.line() > 0 ? ":" + f.line() : "") + ")"));
            }
        }
    }

    private static String nameList(List<Long> ids, Map<Long, String> names) {
        return ids.stream().map(id -> names.getOrDefault(id, String.format("0x%x", id))).collect(Collectors.joining(", "));
    }

    static void printJson(PrintStream out, List<AsyncTask> tasks) {
        try (JsonGenerator g = new JsonFactory().createGenerator(out, JsonEncoding.UTF8)) {
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            g.useDefaultPrettyPrinter();
            g.writeStartArray();
            for (AsyncTask t : tasks) {
                g.writeStartObject();
                g.writeNumberField("pid", t.pid());
                g.writeNumberField("task_id", t.id());
                g.writeStringField("name", t.name());
                g.writeStringField("state", state(t));
                if (t.running()) {
                    g.writeNumberField("thread_id", t.threadId());
                } else {
                    g.writeNullField("thread_id");
                }
                g.writeArrayFieldStart("frames");
                for (Frame f : t.frames()) {
                    DumpPrinter.writeFrame(g, f);
                }
                g.writeEndArray();
                if (t.waitingOn() == null) {
                    g.writeNullField("waiting_on");
                } else {
                    g.writeObjectFieldStart("waiting_on");
                    g.writeStringField("type", t.waitingOn().type());
                    writeIds(g, "task_ids", t.waitingOn().tasks());
                    g.writeEndObject();
                }
                writeIds(g, "awaited_by", t.awaitedBy());
                g.writeEndObject();
            }
            g.writeEndArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.println();
    }

    private static void writeIds(JsonGenerator g, String field, List<Long> ids) throws IOException {
        g.writeArrayFieldStart(field);
        for (long id : ids) {
            g.writeNumber(id);
        }
        g.writeEndArray();
    }
}
