package dev.pyspy.browser;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A minimal client of the Chrome DevTools protocol over the JDK's {@link WebSocket}: numbered
 * requests answered by {@code {id, result|error}}, and events ({@code {method, params}}) passed to
 * listeners on the WebSocket's thread.
 */
final class Cdp implements WebSocket.Listener {
    record Event(String method, JsonNode params) {
    }

    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final List<Consumer<Event>> listeners = new CopyOnWriteArrayList<>();
    private final StringBuilder partial = new StringBuilder();
    private WebSocket socket;
    private volatile Throwable broken;

    private Cdp() {
    }

    static Cdp connect(URI ws) throws IOException {
        Cdp cdp = new Cdp();
        try {
            cdp.socket = HttpClient.newHttpClient().newWebSocketBuilder()
                    .connectTimeout(Duration.ofSeconds(20))
                    .buildAsync(ws, cdp).get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while connecting to " + ws, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("cannot connect to DevTools at " + ws + ": " + e, e);
        }
        return cdp;
    }

    void addListener(Consumer<Event> listener) {
        listeners.add(listener);
    }

    void removeListener(Consumer<Event> listener) {
        listeners.remove(listener);
    }

    /** Sends a command and waits for its result. */
    JsonNode call(String method, Map<String, Object> params) throws IOException {
        return call(method, params, 60);
    }

    JsonNode call(String method, Map<String, Object> params, int timeoutSeconds) throws IOException {
        try {
            return send(method, params).get(timeoutSeconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for " + method, e);
        } catch (ExecutionException e) {
            throw new IOException(method + " failed: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException(method + " got no answer in " + timeoutSeconds + " s", e);
        }
    }

    /** Sends a command; the future completes with its result. */
    CompletableFuture<JsonNode> send(String method, Map<String, Object> params) {
        if (broken != null) {
            return CompletableFuture.failedFuture(new IOException("DevTools connection closed", broken));
        }
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        pending.put(id, f);
        ObjectNode msg = Chromium.JSON.createObjectNode();
        msg.put("id", id);
        msg.put("method", method);
        msg.set("params", Chromium.JSON.valueToTree(params == null ? Map.of() : params));
        synchronized (this) {
            socket.sendText(msg.toString(), true).join();
        }
        return f;
    }

    void close() {
        try {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            socket.abort();
        }
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            String text = partial.toString();
            partial.setLength(0);
            dispatch(text);
        }
        webSocket.request(1);
        return null;
    }

    private void dispatch(String text) {
        JsonNode msg;
        try {
            msg = Chromium.JSON.readTree(text);
        } catch (IOException e) {
            return;
        }
        if (msg.has("id")) {
            CompletableFuture<JsonNode> f = pending.remove(msg.get("id").asInt());
            if (f != null) {
                if (msg.has("error")) {
                    f.completeExceptionally(new IOException(msg.get("error").toString()));
                } else {
                    f.complete(msg.path("result"));
                }
            }
        } else if (msg.has("method")) {
            Event e = new Event(msg.get("method").asText(), msg.path("params"));
            for (Consumer<Event> l : listeners) {
                l.accept(e);
            }
        }
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        fail(new IOException("closed: " + statusCode + " " + reason));
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        fail(error);
    }

    private void fail(Throwable t) {
        broken = t;
        pending.values().forEach(f -> f.completeExceptionally(t));
        pending.clear();
    }
}
