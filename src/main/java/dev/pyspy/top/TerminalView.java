package dev.pyspy.top;

import org.jline.keymap.BindingReader;
import org.jline.keymap.KeyMap;
import org.jline.terminal.Attributes;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.AttributedString;
import org.jline.utils.AttributedStringBuilder;
import org.jline.utils.Display;
import org.jline.utils.InfoCmp.Capability;
import org.jline.utils.NonBlockingReader;
import org.jline.utils.Signals;

import java.io.IOError;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The live, full-screen view: JLine puts the terminal in raw mode on the alternate screen, reads
 * keys and reports resizes; {@link Display} redraws only what changed. The terminal is restored on
 * every way out of {@link #run}.
 */
public final class TerminalView implements AutoCloseable {
    /** How long to wait for a key before checking flags (quit, resize, sampling ended). */
    private static final long POLL_MILLIS = 50;
    /** The first refresh comes sooner than --delay, so the table fills in quickly. */
    private static final long FIRST_REFRESH_NANOS = 250_000_000L;

    private enum Action { SORT_1, SORT_2, SORT_3, SORT_4, LINES, RESET, HELP, QUIT, REDRAW, NONE }

    /**
     * Signals that end the view as 'q' does. Left to the JVM, they would start a shutdown whose hooks
     * run beside the view: JLine's restores the terminal's blocking read mode while the view polls
     * it with a timeout, and the poll then waits for a key forever (pyspy never ended).
     */
    private static final List<String> QUIT_SIGNALS = List.of("TERM", "HUP");

    private final Terminal terminal;
    private final List<Object> previousHandlers = new ArrayList<>();
    private volatile boolean quit;
    private volatile boolean resized;

    private TerminalView(Terminal terminal) {
        this.terminal = terminal;
        for (String signal : QUIT_SIGNALS) {
            previousHandlers.add(Signals.register(signal, () -> quit = true));
        }
    }

    /**
     * The process's terminal, or null when it cannot show a full-screen view (a dumb terminal):
     * then plain snapshots are the way.
     */
    public static TerminalView open() throws IOException {
        Terminal terminal = TerminalBuilder.builder().system(true).nativeSignals(true)
                // pyspy decides what Ctrl-C (INT) and resizes (WINCH) do; other terminal signals
                // (Ctrl-Z, Ctrl-\) are ignored while the screen is in raw mode
                .signalHandler(Terminal.SignalHandler.SIG_IGN)
                // without a terminal on stdin too, JLine gives a dumb one (quietly): plain snapshots then
                .dumb(true)
                .build();
        String type = terminal.getType();
        if (type == null || type.startsWith(Terminal.TYPE_DUMB)
                || terminal.getStringCapability(Capability.enter_ca_mode) == null) {
            terminal.close();
            return null;
        }
        return new TerminalView(terminal);
    }

    /**
     * Shows the model until the user quits or {@code sampling} turns false, refreshing it every
     * {@code delayNanos}. With {@code repaintEachRefresh} the whole screen is redrawn at each refresh
     * (a launched program shares the terminal and may have written over it).
     */
    public TopExit run(TopModel model, BooleanSupplier sampling, long delayNanos, boolean repaintEachRefresh)
            throws IOException {
        terminal.handle(Terminal.Signal.INT, s -> quit = true);
        terminal.handle(Terminal.Signal.WINCH, s -> resized = true);
        Attributes saved = terminal.enterRawMode();
        try {
            terminal.puts(Capability.enter_ca_mode);
            terminal.puts(Capability.keypad_xmit);
            terminal.puts(Capability.cursor_invisible);
            terminal.flush();
            return loop(model, sampling, delayNanos, repaintEachRefresh);
        } finally {
            restore(saved);
        }
    }

    private TopExit loop(TopModel model, BooleanSupplier sampling, long delayNanos, boolean repaintEachRefresh) {
        Display display = new Display(terminal, true);
        Size size = size();
        display.resize(size.getRows(), size.getColumns());
        display.clear();
        BindingReader keys = new BindingReader(terminal.reader());
        KeyMap<Action> keyMap = keyMap();
        long nextRefresh = System.nanoTime() + Math.min(delayNanos, FIRST_REFRESH_NANOS);
        boolean inputClosed = false;
        draw(display, model, size);
        while (true) {
            if (quit) {
                return TopExit.QUIT;
            }
            if (!sampling.getAsBoolean()) {
                return TopExit.SAMPLING_ENDED;
            }
            boolean redraw = false;
            if (resized) {
                resized = false;
                size = size();
                display.resize(size.getRows(), size.getColumns());
                display.clear();
                redraw = true;
            }
            long now = System.nanoTime();
            if (now - nextRefresh >= 0) {
                model.refresh();
                nextRefresh = now + delayNanos;
                if (repaintEachRefresh) {
                    display.clear();
                }
                redraw = true;
            }
            if (redraw) {
                draw(display, model, size);
            }
            long waitMillis = Math.max(1, Math.min(POLL_MILLIS, (nextRefresh - System.nanoTime()) / 1_000_000));
            if (inputClosed) {
                sleep(waitMillis);
                continue;
            }
            Action action = null;
            try {
                int c = keys.peekCharacter(waitMillis);
                if (c == NonBlockingReader.EOF) {
                    inputClosed = true;
                } else if (c >= 0) {
                    action = keys.readBinding(keyMap, null, false);
                }
            } catch (IOError e) {
                inputClosed = true; // the terminal was closed under us (a shutdown in progress)
            }
            if (action != null && handle(action, model, display)) {
                draw(display, model, size);
            }
        }
    }

    /** Applies a key; true when the screen must be redrawn. */
    private boolean handle(Action action, TopModel model, Display display) {
        if (action == Action.QUIT) {
            quit = true;
            return false;
        }
        if (model.help()) {
            model.showHelp(false); // any key leaves the help
            return true;
        }
        switch (action) {
            case SORT_1, SORT_2, SORT_3, SORT_4 -> model.sortBy(SortColumn.values()[action.ordinal()]);
            case LINES -> model.toggleLines();
            case RESET -> model.reset();
            case HELP -> model.showHelp(true);
            case REDRAW -> display.clear();
            default -> {
                return false;
            }
        }
        return true;
    }

    private void draw(Display display, TopModel model, Size size) {
        List<AttributedString> lines = new ArrayList<>();
        for (AttributedString line : TopRenderer.render(model.status(), model.snapshot(), model.view(true),
                size.getColumns(), size.getRows(), 0)) {
            // a line without a newline would be taken for one that wraps onto the next
            lines.add(new AttributedStringBuilder(line.length() + 1).append(line).append('\n').toAttributedString());
        }
        display.update(lines, 0);
    }

    private KeyMap<Action> keyMap() {
        KeyMap<Action> map = new KeyMap<>();
        map.bind(Action.SORT_1, "1");
        map.bind(Action.SORT_2, "2");
        map.bind(Action.SORT_3, "3");
        map.bind(Action.SORT_4, "4");
        map.bind(Action.LINES, "l", "L");
        map.bind(Action.RESET, "r", "R");
        map.bind(Action.HELP, "?", "h", "H");
        map.bind(Action.QUIT, "q", "Q", KeyMap.ctrl('C'));
        map.bind(Action.REDRAW, KeyMap.ctrl('L'));
        // Keys that send sequences (arrows, function keys) must not be read as their letters/digits.
        map.bind(Action.NONE, KeyMap.esc());
        for (Capability key : new Capability[] {Capability.key_up, Capability.key_down, Capability.key_left,
                Capability.key_right, Capability.key_home, Capability.key_end, Capability.key_ppage,
                Capability.key_npage, Capability.key_ic, Capability.key_dc, Capability.key_f1, Capability.key_f2,
                Capability.key_f3, Capability.key_f4, Capability.key_f5, Capability.key_f6, Capability.key_f7,
                Capability.key_f8, Capability.key_f9, Capability.key_f10, Capability.key_f11, Capability.key_f12}) {
            String seq = KeyMap.key(terminal, key);
            if (seq != null && !seq.isEmpty()) {
                map.bind(Action.NONE, seq);
            }
        }
        map.setNomatch(Action.NONE);
        map.setUnicode(Action.NONE);
        map.setAmbiguousTimeout(100);
        return map;
    }

    private Size size() {
        Size s = terminal.getSize();
        int rows = s.getRows() > 0 ? s.getRows() : 24;
        int columns = s.getColumns() > 0 ? s.getColumns() : 80;
        return new Size(columns, rows);
    }

    /** Leaves the alternate screen and puts the terminal modes back; never throws. */
    private void restore(Attributes saved) {
        try {
            terminal.puts(Capability.cursor_normal);
            terminal.puts(Capability.keypad_local);
            terminal.puts(Capability.exit_ca_mode);
            terminal.flush();
        } catch (RuntimeException e) {
            // the terminal is gone (closed by a shutdown hook, hung up): nothing to restore
        }
        try {
            terminal.setAttributes(saved);
        } catch (RuntimeException e) {
            // same
        }
    }

    /** The terminal size now (for a final plain snapshot). */
    public int rows() {
        return size().getRows();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        for (int i = 0; i < QUIT_SIGNALS.size(); i++) {
            Signals.unregister(QUIT_SIGNALS.get(i), previousHandlers.get(i));
        }
        try {
            terminal.close();
        } catch (IOException | RuntimeException e) {
            // closing restores what is left to restore; failures change nothing for the user
        }
    }
}
