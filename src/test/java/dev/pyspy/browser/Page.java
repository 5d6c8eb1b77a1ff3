package dev.pyspy.browser;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One browser tab: navigation, script evaluation, real mouse and keyboard input, answers to
 * {@code prompt()} dialogs, and every error the page reports (uncaught exceptions, console errors,
 * failed loads) collected for the tests to check.
 */
public final class Page {
    private final Cdp cdp;
    private final List<String> errors = new ArrayList<>();
    private final List<String> dialogs = new ArrayList<>();
    private volatile String promptAnswer;

    Page(Cdp cdp) throws IOException {
        this.cdp = cdp;
        cdp.addListener(this::onEvent);
        cdp.call("Page.enable", null);
        cdp.call("Runtime.enable", null);
        cdp.call("Log.enable", null);
        cdp.call("Emulation.setDeviceMetricsOverride", Chromium.params("width", 1280, "height", 900,
                "deviceScaleFactor", 1, "mobile", false));
    }

    private void onEvent(Cdp.Event e) {
        switch (e.method()) {
            case "Runtime.exceptionThrown" -> {
                JsonNode d = e.params().path("exceptionDetails");
                String text = d.path("exception").path("description").asText(d.path("text").asText());
                addError("exception: " + text + " at " + d.path("url").asText() + ":" + d.path("lineNumber").asInt());
            }
            case "Runtime.consoleAPICalled" -> {
                String type = e.params().path("type").asText();
                if (type.equals("error") || type.equals("assert")) {
                    StringBuilder sb = new StringBuilder("console." + type + ":");
                    for (JsonNode a : e.params().path("args")) {
                        sb.append(' ').append(a.has("value") ? a.get("value").asText() : a.path("description").asText());
                    }
                    addError(sb.toString());
                }
            }
            case "Log.entryAdded" -> {
                JsonNode entry = e.params().path("entry");
                if (entry.path("level").asText().equals("error")) {
                    addError("log: " + entry.path("text").asText() + " " + entry.path("url").asText());
                }
            }
            case "Page.javascriptDialogOpening" -> {
                String type = e.params().path("type").asText();
                synchronized (dialogs) {
                    dialogs.add(type + ": " + e.params().path("message").asText());
                }
                String answer = promptAnswer;
                boolean accept = answer != null || !type.equals("prompt");
                // answered off the WebSocket thread, which must keep reading
                CompletableFuture.runAsync(() -> cdp.send("Page.handleJavaScriptDialog",
                        answer != null ? Chromium.params("accept", accept, "promptText", answer)
                                : Chromium.params("accept", accept)));
            }
            default -> {
            }
        }
    }

    private void addError(String s) {
        synchronized (errors) {
            errors.add(s);
        }
    }

    /** Errors the page reported so far. */
    public List<String> errors() {
        synchronized (errors) {
            return List.copyOf(errors);
        }
    }

    /** Dialogs (alert, prompt, ...) the page opened so far, as {@code type: message}. */
    public List<String> dialogs() {
        synchronized (dialogs) {
            return List.copyOf(dialogs);
        }
    }

    /** What the next {@code prompt()} dialogs are answered with ({@code null}: cancel them). */
    public void answerPrompts(String text) {
        promptAnswer = text;
    }

    /** Opens {@code url} and waits for its load event; returns the milliseconds it took. */
    public long navigate(String url) throws IOException, InterruptedException {
        CountDownLatch loaded = new CountDownLatch(1);
        Consumer<Cdp.Event> l = e -> {
            if (e.method().equals("Page.loadEventFired")) {
                loaded.countDown();
            }
        };
        cdp.addListener(l);
        long t0 = System.nanoTime();
        try {
            JsonNode r = cdp.call("Page.navigate", Chromium.params("url", url));
            if (r.has("errorText")) {
                throw new IOException("cannot open " + url + ": " + r.get("errorText").asText());
            }
            if (!loaded.await(60, TimeUnit.SECONDS)) {
                throw new IOException(url + " did not finish loading in 60 s");
            }
        } finally {
            cdp.removeListener(l);
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    /** Evaluates {@code expression} (awaiting a promise) and returns its JSON value. */
    public JsonNode eval(String expression) throws IOException {
        JsonNode r = cdp.call("Runtime.evaluate", Chromium.params("expression", expression, "returnByValue", true,
                "awaitPromise", true, "userGesture", true));
        if (r.has("exceptionDetails")) {
            JsonNode d = r.get("exceptionDetails");
            throw new AssertionError("script failed: " + expression + "\n  "
                    + d.path("exception").path("description").asText(d.path("text").asText()));
        }
        return r.path("result").path("value");
    }

    public String evalString(String expression) throws IOException {
        JsonNode v = eval(expression);
        return v.isNull() || v.isMissingNode() ? null : v.asText();
    }

    public double evalNumber(String expression) throws IOException {
        return eval(expression).asDouble(Double.NaN);
    }

    /** Waits until {@code condition} (a script expression) is truthy. */
    public void waitFor(String condition, int timeoutSeconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (true) {
            if (eval("!!(" + condition + ")").asBoolean()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + condition);
            }
            Thread.sleep(50);
        }
    }

    public void mouseMove(double x, double y) throws IOException {
        cdp.call("Input.dispatchMouseEvent", Chromium.params("type", "mouseMoved", "x", x, "y", y));
    }

    /** A left click: move, press, release. */
    public void click(double x, double y) throws IOException {
        mouseMove(x, y);
        cdp.call("Input.dispatchMouseEvent", Chromium.params("type", "mousePressed", "x", x, "y", y,
                "button", "left", "buttons", 1, "clickCount", 1));
        cdp.call("Input.dispatchMouseEvent", Chromium.params("type", "mouseReleased", "x", x, "y", y,
                "button", "left", "buttons", 0, "clickCount", 1));
    }

    /** Modifier bits of {@link #key}. */
    public static final int ALT = 1;
    public static final int CTRL = 2;
    public static final int SHIFT = 8;

    /** Presses and releases a key, e.g. {@code key("f", "KeyF", 70, CTRL)}. */
    public void key(String key, String code, int keyCode, int modifiers) throws IOException {
        boolean printable = key.length() == 1 && (modifiers & (CTRL | ALT)) == 0;
        cdp.call("Input.dispatchKeyEvent", printable
                ? Chromium.params("type", "keyDown", "key", key, "code", code, "windowsVirtualKeyCode", keyCode,
                        "modifiers", modifiers, "text", key)
                : Chromium.params("type", "rawKeyDown", "key", key, "code", code, "windowsVirtualKeyCode", keyCode,
                        "modifiers", modifiers));
        cdp.call("Input.dispatchKeyEvent", Chromium.params("type", "keyUp", "key", key, "code", code,
                "windowsVirtualKeyCode", keyCode, "modifiers", modifiers));
    }

    /** Types text into the focused element. */
    public void type(String text) throws IOException {
        cdp.call("Input.insertText", Chromium.params("text", text));
    }

    void close() {
        cdp.close();
    }
}
