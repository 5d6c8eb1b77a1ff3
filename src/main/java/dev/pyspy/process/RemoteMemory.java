package dev.pyspy.process;

import com.sun.jna.LastErrorException;
import com.sun.jna.Pointer;
import dev.pyspy.ExitCode;
import dev.pyspy.PyspyException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Reads another process's memory with {@code process_vm_readv(2)}: no ptrace attach needed, the
 * target keeps running, and many ranges can be read in one system call ({@link #readAll}).
 *
 * <p><b>Thread confinement:</b> an instance reuses its native buffers across calls, so it must be
 * used by one thread at a time (create one per sampling thread).
 */
public final class RemoteMemory implements ProcessMemory, AutoCloseable {

    private static final int IOVEC_SIZE = 16;
    private static final int INITIAL_BUFFER = 4096;
    /** A readAll batch closes at this many bytes (or IOV_MAX ranges), bounding the native buffer. */
    private static final long MAX_BATCH_BYTES = 16L << 20;

    private final int pid;
    /**
     * One local iovec per range: a direct destination buffer is read into in place; a heap one
     * through {@link #data}, copied out after the call.
     */
    private final com.sun.jna.Memory localIov = new com.sun.jna.Memory((long) IOVEC_SIZE * LibC.IOV_MAX);
    private final com.sun.jna.Memory remoteIov = new com.sun.jna.Memory((long) IOVEC_SIZE * LibC.IOV_MAX);
    /** Direct views of the iovec arrays: filled without a native call per field. */
    private final ByteBuffer localIovs = iovecView(localIov);
    private final ByteBuffer remoteIovs = iovecView(remoteIov);
    private final DirectBufferAddresses directAddresses = new DirectBufferAddresses();
    private com.sun.jna.Memory data;
    private long dataAddress;
    /** Direct view of {@link #data}, kept to copy into callers' buffers without allocating. */
    private ByteBuffer dataView;
    private long readCalls;
    private boolean exited;

    /** Creates a reader without checking access; see {@link #open(int)} for the checked variant. */
    public RemoteMemory(int pid) {
        this.pid = pid;
        allocate(INITIAL_BUFFER);
    }

    /**
     * Opens a reader after checking the process exists and its memory can be read, so permission
     * problems surface once, up front, with advice instead of as failed reads later.
     */
    public static RemoteMemory open(int pid) throws PyspyException {
        ProcFs.requireExists(pid);
        return open(pid, ProcMaps.read(pid));
    }

    /** Like {@link #open(int)}, with the process's maps just read by the caller (a read of them costs). */
    public static RemoteMemory open(int pid, List<MemoryMapping> maps) throws PyspyException {
        RemoteMemory memory = new RemoteMemory(pid);
        memory.probe(maps);
        return memory;
    }

    private void probe(List<MemoryMapping> maps) throws PyspyException {
        if (maps.isEmpty()) {
            if (ProcFs.exists(pid) && ProcFs.isZombie(pid)) {
                throw new PyspyException(ExitCode.NO_SUCH_PROCESS, "process " + pid + " has exited (zombie)");
            }
            throw new PyspyException(ExitCode.NO_SUCH_PROCESS, "process " + pid + " has no memory mappings"
                    + " (a kernel thread or an exiting process)");
        }
        int tried = 0;
        for (MemoryMapping m : maps) {
            // [vvar] and similar pages cannot be read through process_vm_readv; files and [heap] can.
            if (!m.readable() || (m.isPseudo() && !m.pathname().equals("[heap]") && !m.pathname().equals("[stack]"))) {
                continue;
            }
            int errno = rawRead(m.start());
            if (errno == 0) {
                return;
            }
            if (errno == LibC.EPERM) {
                throw permissionDenied(pid);
            }
            if (errno == LibC.ESRCH) {
                throw ProcFs.noSuchProcess(pid);
            }
            if (++tried >= 8) {
                break;
            }
        }
        throw new PyspyException(ExitCode.ERROR, "cannot read the memory of process " + pid);
    }

    /** The error for an EPERM from process_vm_readv or ptrace on {@code pid}, with advice. */
    public static PyspyException permissionDenied(int pid) {
        return new PyspyException(ExitCode.PERMISSION_DENIED,
                "permission denied reading the memory of process " + pid + ": " + PtraceDenial.advice(pid));
    }

    public int pid() {
        return pid;
    }

    /** Whether a read failed because the process no longer exists. */
    public boolean exited() {
        return exited;
    }

    @Override
    public long readCalls() {
        return readCalls;
    }

    @Override
    public void read(long address, ByteBuffer dst, int length) throws MemoryReadException {
        checkLength(dst, length);
        if (length > 0) {
            boolean direct = dst.isDirect();
            if (!direct) {
                ensureCapacity(length);
            }
            setIovec(localIovs, 0, direct ? directAddresses.of(dst) : dataAddress, length);
            setIovec(remoteIovs, 0, address, length);
            long n = call(1);
            if (n < 0) {
                throw failure(-n, address, length);
            }
            if (n != length) {
                throw new MemoryReadException(address, length, "partial read of " + n + " bytes (unmapped memory)");
            }
            if (!direct) {
                dst.clear();
                dst.put(0, dataView, 0, length);
            }
        }
        finish(dst, length);
    }

    @Override
    public void readAll(long[] addresses, ByteBuffer[] dsts, int[] lengths, int count) throws MemoryReadException {
        int i = 0;
        while (i < count) {
            // Pack as many ranges as fit in one call: IOV_MAX remote iovecs, bounded total size.
            int first = i;
            long total = 0;
            int iovs = 0;
            while (i < count && iovs < LibC.IOV_MAX) {
                int len = lengths[i];
                checkLength(dsts[i], len);
                if (iovs > 0 && total + len > MAX_BATCH_BYTES) {
                    break;
                }
                total += len;
                if (len > 0) {
                    iovs++;
                }
                i++;
            }
            readBatch(addresses, dsts, lengths, first, i, total, iovs);
        }
    }

    private void readBatch(long[] addresses, ByteBuffer[] dsts, int[] lengths, int from, int to, long total, int iovs)
            throws MemoryReadException {
        if (iovs > 0) {
            long staged = 0;
            for (int j = from; j < to; j++) {
                staged += dsts[j].isDirect() ? 0 : lengths[j];
            }
            ensureCapacity(staged);
            int k = 0;
            long stagedAt = 0;
            for (int j = from; j < to; j++) {
                int len = lengths[j];
                if (len > 0) {
                    setIovec(remoteIovs, k, addresses[j], len);
                    if (dsts[j].isDirect()) {
                        setIovec(localIovs, k, directAddresses.of(dsts[j]), len);
                    } else {
                        setIovec(localIovs, k, dataAddress + stagedAt, len);
                        stagedAt += len;
                    }
                    k++;
                }
            }
            long n = call(iovs);
            if (n != total) {
                throw batchFailure(addresses, lengths, from, to, n);
            }
        }
        int stagedAt = 0;
        for (int j = from; j < to; j++) {
            ByteBuffer dst = dsts[j];
            int len = lengths[j];
            if (!dst.isDirect()) {
                dst.clear();
                if (len > 0) {
                    dst.put(0, dataView, stagedAt, len);
                }
                stagedAt += len;
            }
            finish(dst, len);
        }
    }

    /** The kernel stops at the first range it cannot read completely: the failure names that one. */
    private MemoryReadException batchFailure(long[] addresses, int[] lengths, int from, int to, long n) {
        long read = Math.max(n, 0);
        long position = 0;
        for (int j = from; j < to; j++) {
            if (position + lengths[j] > read && lengths[j] > 0) {
                if (n < 0) {
                    return failure(-n, addresses[j], lengths[j]);
                }
                return new MemoryReadException(addresses[j], lengths[j],
                        position == read ? "address not mapped" : "partial read (unmapped memory)");
            }
            position += lengths[j];
        }
        return new MemoryReadException(addresses[from], lengths[from], "short read of " + n + " bytes");
    }

    private static ByteBuffer iovecView(com.sun.jna.Memory iovecs) {
        return iovecs.getByteBuffer(0, iovecs.size()).order(ByteOrder.nativeOrder());
    }

    private static void setIovec(ByteBuffer iovecs, int index, long base, long length) {
        iovecs.putLong(index * IOVEC_SIZE, base);
        iovecs.putLong(index * IOVEC_SIZE + 8, length);
    }

    /** Issues one process_vm_readv of as many local as remote iovecs; returns bytes read, or minus errno. */
    private long call(int count) {
        readCalls++;
        try {
            return LibC.process_vm_readv(pid, localIov, count, remoteIov, count, 0);
        } catch (LastErrorException e) {
            int errno = e.getErrorCode();
            if (errno == LibC.ESRCH) {
                exited = true;
            }
            return -(errno == 0 ? LibC.EFAULT : errno);
        }
    }

    private int rawRead(long address) {
        setIovec(localIovs, 0, dataAddress, 1);
        setIovec(remoteIovs, 0, address, 1);
        long n = call(1);
        if (n < 0) {
            return (int) -n;
        }
        return n == 1 ? 0 : LibC.EFAULT;
    }

    private MemoryReadException failure(long errno, long address, long length) {
        if (errno == LibC.ESRCH) {
            return new MemoryReadException(address, length, "process " + pid + " exited");
        }
        if (errno == LibC.EFAULT) {
            return new MemoryReadException(address, length, "address not mapped");
        }
        if (errno == LibC.EPERM) {
            return new MemoryReadException(address, length, "permission denied; " + PtraceDenial.advice(pid));
        }
        return new MemoryReadException(address, length, LibC.strerror((int) errno));
    }

    private static void checkLength(ByteBuffer dst, int length) {
        if (length < 0 || length > dst.capacity()) {
            throw new IllegalArgumentException("length " + length + " does not fit a buffer of " + dst.capacity());
        }
    }

    private static void finish(ByteBuffer dst, int length) {
        dst.order(ByteOrder.LITTLE_ENDIAN);
        dst.limit(length);
        dst.position(0);
    }

    private void ensureCapacity(long needed) {
        if (needed > data.size()) {
            long size = data.size();
            while (size < needed) {
                size *= 2;
            }
            data.close();
            allocate(size);
        }
    }

    private void allocate(long size) {
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("read of " + size + " bytes is too large");
        }
        data = new com.sun.jna.Memory(size);
        dataAddress = Pointer.nativeValue(data);
        dataView = data.getByteBuffer(0, size);
    }

    /** Frees the native buffers now rather than at garbage collection. */
    @Override
    public void close() {
        data.close();
        localIov.close();
        remoteIov.close();
    }

    @Override
    public String toString() {
        return "RemoteMemory[pid=" + pid + ", readCalls=" + readCalls + "]";
    }

    // Visible for tests: the native buffer address, to check it is reused.
    Pointer buffer() {
        return data;
    }
}
