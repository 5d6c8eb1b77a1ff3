package dev.pyspy.python;

import dev.pyspy.process.ProcessMemory;
import dev.pyspy.process.MemoryReadException;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** Test-only {@link ProcessMemory} over {@code /proc/PID/mem} (needs ptrace rights: tests run as root). */
final class ProcMemMemory implements ProcessMemory, AutoCloseable {
    private final RandomAccessFile file;
    private final FileChannel channel;
    private long calls;
    private long bytes;

    ProcMemMemory(long pid) throws IOException {
        this.file = new RandomAccessFile("/proc/" + pid + "/mem", "r");
        this.channel = file.getChannel();
    }

    @Override
    public void read(long address, ByteBuffer dst, int length) throws MemoryReadException {
        calls++;
        if (address < 0 || length < 0 || length > dst.capacity()) {
            throw new MemoryReadException(address, length, "bad request");
        }
        dst.clear().limit(length);
        try {
            int done = 0;
            while (done < length) {
                int n = channel.read(dst, address + done);
                if (n <= 0) {
                    throw new MemoryReadException(address, length, "short read");
                }
                done += n;
            }
        } catch (IOException e) {
            throw new MemoryReadException(address, length, e.getMessage());
        }
        bytes += length;
        dst.position(0).limit(length);
    }

    @Override
    public long readCalls() {
        return calls;
    }

    long bytesRead() {
        return bytes;
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
