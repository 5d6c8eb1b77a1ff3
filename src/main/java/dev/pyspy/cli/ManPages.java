package dev.pyspy.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes a man page (troff) for {@code pyspy} and one for each subcommand, from the command model:
 * run by the packaging at build time ({@code src/packaging/build-dist}), so the pages say what the
 * built command line does. Usage: {@code ManPages DIRECTORY}.
 */
public final class ManPages {
    private ManPages() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        CommandLine pyspy = Main.commandModel();
        write(dir.resolve("pyspy.1"), page("pyspy", pyspy, pyspy));
        for (Map.Entry<String, CommandLine> sub : pyspy.getSubcommands().entrySet()) {
            if (!sub.getKey().equals("help")) {
                write(dir.resolve("pyspy-" + sub.getKey() + ".1"), page("pyspy " + sub.getKey(), sub.getValue(), pyspy));
            }
        }
    }

    static String page(String name, CommandLine command, CommandLine pyspy) {
        CommandSpec spec = command.getCommandSpec();
        String title = name.replace(' ', '-');
        StringBuilder out = new StringBuilder();
        out.append(".TH ").append(title.toUpperCase()).append(" 1 \"\" \"pyspy ").append(Main.version())
                .append("\" \"pyspy manual\"\n");
        out.append(".SH NAME\n").append(escape(title)).append(" \\- ").append(escape(text(spec.usageMessage().description()))).append('\n');
        out.append(".SH SYNOPSIS\n.nf\n").append(escape(command.getHelp().synopsis(0).strip())).append("\n.fi\n");
        if (spec.subcommands().isEmpty()) {
            out.append(".SH OPTIONS\n");
            for (OptionSpec o : spec.options()) {
                out.append(".TP\n").append(bold(String.join(", ", o.names())));
                if (o.arity().max() > 0) {
                    out.append(" \\fI").append(escape(o.paramLabel())).append("\\fR");
                }
                out.append('\n').append(escape(text(o.description()))).append('\n');
            }
            for (PositionalParamSpec p : spec.positionalParameters()) {
                out.append(".TP\n\\fI").append(escape(p.paramLabel())).append("\\fR\n").append(escape(text(p.description()))).append('\n');
            }
        } else {
            out.append(".SH COMMANDS\n");
            for (Map.Entry<String, CommandLine> sub : spec.subcommands().entrySet()) {
                out.append(".TP\n").append(bold(sub.getKey())).append('\n')
                        .append(escape(text(sub.getValue().getCommandSpec().usageMessage().description()))).append('\n');
            }
        }
        out.append(".SH EXIT STATUS\n");
        for (Map.Entry<String, String> code : pyspy.getCommandSpec().usageMessage().exitCodeList().entrySet()) {
            out.append(".TP\n").append(bold(code.getKey().strip())).append('\n').append(escape(code.getValue())).append('\n');
        }
        out.append(".SH SEE ALSO\n");
        if (name.equals("pyspy")) {
            String sep = "";
            for (String sub : spec.subcommands().keySet()) {
                if (!sub.equals("help")) {
                    out.append(sep).append(bold("pyspy-" + sub)).append("(1)");
                    sep = ",\n";
                }
            }
            out.append('\n');
        } else {
            out.append(bold("pyspy")).append("(1)\n");
        }
        return out.toString();
    }

    /** Description lines as one paragraph; picocli's {@code %n} is a line break there. */
    private static String text(String[] lines) {
        return String.join(" ", lines).replace("%n", " ").replace("%%", "%").strip();
    }

    private static String bold(String s) {
        return "\\fB" + escape(s) + "\\fR";
    }

    /** troff text: backslashes and hyphens escaped, no line read as a request. */
    private static String escape(String s) {
        String e = s.replace("\\", "\\e").replace("-", "\\-");
        return e.replace("\n.", "\n\\&.").replace("\n'", "\n\\&'").replaceFirst("^([.'])", "\\\\&$1");
    }

    private static void write(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }
}
