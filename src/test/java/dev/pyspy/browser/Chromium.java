package dev.pyspy.browser;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A headless Chromium started for a test and driven over its DevTools protocol ({@link Cdp}), with
 * nothing but the JDK: the browser is started with {@code --remote-debugging-port=0}, the port it
 * picked is read from {@code DevToolsActivePort} in its own fresh profile directory, and the first
 * page target is attached to over a WebSocket. Offline: no network access is needed or made.
 *
 * <p>The executable is {@code $PYSPY_CHROMIUM}, else the first of {@code chromium},
 * {@code chromium-browser}, {@code google-chrome} found on the PATH (Debian: {@code apt-get install chromium}).
 */
public final class Chromium implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Path profileDir;
    private final Path log;
    private final int port;
    private final List<Page> pages = new ArrayList<>();

    private Chromium(Process process, Path profileDir, Path log, int port) {
        this.process = process;
        this.profileDir = profileDir;
        this.log = log;
        this.port = port;
    }

    /** The browser executable, or {@code null} when none is installed. */
    public static Path executable() {
        String env = System.getenv("PYSPY_CHROMIUM");
        if (env != null && !env.isBlank()) {
            Path p = Path.of(env);
            return Files.isExecutable(p) ? p : null;
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String dir : path.split(":")) {
                if (dir.isEmpty()) {
                    continue;
                }
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        return null;
    }

    /** Why browser tests are skipped on this machine, as the assumption message. */
    public static final String MISSING = "Chromium is not installed, so the browser tests are SKIPPED "
            + "(install it with `apt-get install chromium`, or set PYSPY_CHROMIUM to a Chromium/Chrome "
            + "executable; scripts/test installs it)";

    public static Chromium launch() throws IOException, InterruptedException {
        Path exe = executable();
        if (exe == null) {
            throw new IllegalStateException(MISSING);
        }
        Path profile = Files.createTempDirectory("pyspy-chromium-");
        Path log = profile.resolve("chromium.log");
        List<String> cmd = List.of(exe.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
                "--window-size=1280,900", "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
                "--user-data-dir=" + profile, "about:blank");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        p.getOutputStream().close();
        Path portFile = profile.resolve("DevToolsActivePort");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        int port = -1;
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                break;
            }
            if (Files.exists(portFile)) {
                List<String> lines = Files.readAllLines(portFile, StandardCharsets.UTF_8);
                if (!lines.isEmpty() && !lines.get(0).isBlank()) {
                    port = Integer.parseInt(lines.get(0).trim());
                    break;
                }
            }
            Thread.sleep(50);
        }
        Chromium c = new Chromium(p, profile, log, port);
        if (port < 0) {
            String out = Files.exists(log) ? Files.readString(log) : "";
            c.close();
            throw new IOException("Chromium did not open its DevTools port in 30 s; its output:\n" + tail(out));
        }
        return c;
    }

    private static String tail(String s) {
        return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
    }

    /** A fresh page (tab), with its errors collected from the start. */
    public Page newPage() throws IOException, InterruptedException {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/new?about:blank"))
                .PUT(HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (resp.statusCode() != 200) {
            throw new IOException("DevTools /json/new answered " + resp.statusCode() + ": " + resp.body());
        }
        JsonNode target = JSON.readTree(resp.body());
        Cdp cdp = Cdp.connect(URI.create(target.get("webSocketDebuggerUrl").asText()));
        Page page = new Page(cdp);
        pages.add(page);
        return page;
    }

    @Override
    public void close() {
        for (Page page : pages) {
            page.close();
        }
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deleteTree(profileDir);
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // a temp dir left behind is harmless
        }
    }

    static Map<String, Object> params(Object... kv) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}
