package dev.pyspy.process;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;

/**
 * Native addresses of direct buffers, remembered by identity: asking JNA makes a {@link Pointer}
 * each time, and a sampler reads into the same few buffers thousands of times a second. Entries
 * hold their buffers weakly, so a buffer the caller dropped is freed as usual and its slot reused.
 */
final class DirectBufferAddresses {
    private WeakReference<?>[] buffers = new WeakReference<?>[64];
    private long[] addresses = new long[64];
    private int used;

    long of(ByteBuffer buffer) {
        int mask = buffers.length - 1;
        int i = System.identityHashCode(buffer) & mask;
        for (WeakReference<?> r; (r = buffers[i]) != null; i = (i + 1) & mask) {
            if (r.get() == buffer) {
                return addresses[i];
            }
        }
        long address = Pointer.nativeValue(Native.getDirectBufferPointer(buffer));
        if (2 * (used + 1) > buffers.length) {
            rehash();
            return of(buffer);
        }
        buffers[i] = new WeakReference<>(buffer);
        addresses[i] = address;
        used++;
        return address;
    }

    /** Drops entries whose buffers are gone; doubles the table if the live ones still fill half. */
    private void rehash() {
        WeakReference<?>[] oldBuffers = buffers;
        long[] oldAddresses = addresses;
        int live = 0;
        for (WeakReference<?> r : oldBuffers) {
            live += r != null && r.get() != null ? 1 : 0;
        }
        int size = 2 * (live + 1) > oldBuffers.length / 2 ? oldBuffers.length * 2 : oldBuffers.length;
        buffers = new WeakReference<?>[size];
        addresses = new long[size];
        used = 0;
        for (int j = 0; j < oldBuffers.length; j++) {
            Object b = oldBuffers[j] == null ? null : oldBuffers[j].get();
            if (b != null) {
                int i = System.identityHashCode(b) & (size - 1);
                while (buffers[i] != null) {
                    i = (i + 1) & (size - 1);
                }
                buffers[i] = oldBuffers[j];
                addresses[i] = oldAddresses[j];
                used++;
            }
        }
    }
}
