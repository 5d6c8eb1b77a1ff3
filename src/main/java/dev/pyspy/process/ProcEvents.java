package dev.pyspy.process;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The kernel's process events connector (netlink {@code NETLINK_CONNECTOR}, {@code CN_IDX_PROC}):
 * every fork, exec and exit on the machine as it happens, so a new child is known when it starts
 * instead of at the next look at {@code /proc}. Only processes are reported: a new thread (a fork
 * whose child is not its own thread group's leader) and a thread's exit are left out.
 *
 * <p>Needs CAP_NET_ADMIN, the initial user and pid namespaces; {@link #open} returns null where the
 * kernel refuses or ignores the subscription (callers look at {@code /proc} on a timer then). Events
 * are machine-wide and the socket's queue is bounded: {@link #receive} says when events were lost.
 * Not thread-safe.
 */
public final class ProcEvents implements AutoCloseable {
    /** Receives the events of processes (thread-group leaders); pids as the initial namespace sees them. */
    public interface Listener {
        /** {@code child} was forked by {@code parent} at {@code atNanos} (CLOCK_MONOTONIC, as {@link System#nanoTime}). */
        void forked(int parent, int child, long atNanos);

        /** {@code pid} runs a new program. */
        void execed(int pid);

        /** {@code pid}'s leader thread exited. */
        void exited(int pid);
    }

    private static final int NETLINK_CONNECTOR = 11;
    private static final int CN_IDX_PROC = 1;
    private static final int CN_VAL_PROC = 1;
    private static final int NLMSG_DONE = 3;
    private static final int PROC_CN_MCAST_LISTEN = 1;
    private static final int PROC_EVENT_NONE = 0;
    private static final int PROC_EVENT_FORK = 1;
    private static final int PROC_EVENT_EXEC = 2;
    private static final int PROC_EVENT_EXIT = 0x80000000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_RCVBUF = 8;
    private static final int SO_RCVBUFFORCE = 33;
    private static final int MSG_DONTWAIT = 0x40;
    /** Room for a few thousand events while the reader waits for a CPU (each queued event costs ~1 KiB). */
    private static final int RECEIVE_BUFFER_BYTES = 4 << 20;
    /** How long the kernel may take to acknowledge the subscription (it does so within the send). */
    private static final int ACK_TIMEOUT_MILLIS = 200;
    /** Most messages handled by one {@link #receive}: machine-wide traffic never keeps the caller from its own work. */
    private static final int BATCH = 256;

    // struct nlmsghdr (16 bytes), then struct cn_msg (20 bytes) whose data is a struct proc_event
    private static final int NLMSG_HEADER = 16;
    private static final int CN_IDX = NLMSG_HEADER;
    private static final int CN_VAL = NLMSG_HEADER + 4;
    private static final int CN_SEQ = NLMSG_HEADER + 8;
    private static final int CN_ACK = NLMSG_HEADER + 12;
    private static final int CN_LEN = NLMSG_HEADER + 16;
    private static final int CN_DATA = NLMSG_HEADER + 20;
    // struct proc_event: what, cpu, timestamp_ns (u64), then the union of the event's data
    private static final int EVENT_WHAT = CN_DATA;
    private static final int EVENT_TIMESTAMP = CN_DATA + 8;
    private static final int EVENT_DATA = CN_DATA + 16;
    /** The part of a struct proc_event read here: its header and 16 bytes of the union (a fork's four pids). */
    private static final int EVENT_SIZE = 16 + 16;
    // fork_proc_event: parent_pid, parent_tgid, child_pid, child_tgid; exec and exit: process_pid, process_tgid
    private static final int FORK_PARENT_TGID = EVENT_DATA + 4;
    private static final int FORK_CHILD_PID = EVENT_DATA + 8;
    private static final int FORK_CHILD_TGID = EVENT_DATA + 12;
    private static final int PROCESS_PID = EVENT_DATA;
    private static final int PROCESS_TGID = EVENT_DATA + 4;
    private static final int ACK_ERR = EVENT_DATA;

    private final int socket;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(8192).order(ByteOrder.nativeOrder());
    private final long bufferAddress = Pointer.nativeValue(Native.getDirectBufferPointer(buffer));
    private final Memory pollFd = new Memory(8);

    private ProcEvents(int socket) {
        this.socket = socket;
    }

    /** A subscription to the machine's process events, or null where the kernel refuses or ignores it. */
    public static ProcEvents open() {
        return open(RECEIVE_BUFFER_BYTES);
    }

    /** With a queue of about {@code receiveBufferBytes} (the kernel doubles it, and has a minimum). */
    static ProcEvents open(int receiveBufferBytes) {
        int fd;
        try {
            fd = LibC.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, NETLINK_CONNECTOR);
        } catch (LastErrorException | UnsatisfiedLinkError e) {
            return null;
        }
        ProcEvents events = new ProcEvents(fd);
        if (!events.subscribe(receiveBufferBytes)) {
            events.close();
            return null;
        }
        return events;
    }

    /**
     * Joins the events' multicast group and asks the kernel to send them; true once it acknowledged
     * without error (it says nothing to a caller outside the initial namespaces).
     */
    private boolean subscribe(int receiveBufferBytes) {
        try (Memory value = new Memory(4); Memory address = new Memory(12)) {
            value.setInt(0, receiveBufferBytes);
            try {
                LibC.setsockopt(socket, SOL_SOCKET, SO_RCVBUFFORCE, Pointer.nativeValue(value), 4);
            } catch (LastErrorException e) {
                LibC.setsockopt(socket, SOL_SOCKET, SO_RCVBUF, Pointer.nativeValue(value), 4); // capped by rmem_max
            }
            address.clear(12);
            address.setShort(0, (short) LibC.AF_NETLINK);
            address.setInt(8, CN_IDX_PROC); // nl_groups; nl_pid 0: the kernel picks the port
            LibC.bind(socket, Pointer.nativeValue(address), 12);
            int sequence = ThreadLocalRandom.current().nextInt();
            int ack = ThreadLocalRandom.current().nextInt(Integer.MAX_VALUE - 1);
            send(sequence, ack, 4);
            if (!acknowledged(ack)) {
                return false;
            }
            send(sequence + 1, ack, 8); // newer kernels (6.6+) then filter; older ones ignore it
            return true;
        } catch (LastErrorException e) {
            return false; // refused: not privileged, or no connector in this kernel
        }
    }

    /**
     * Whether the kernel acknowledged the request sent with {@code ack} without error. Every listener
     * sees every acknowledgement, and the kernel numbers it as an event: ours is known by {@code ack + 1}.
     */
    private boolean acknowledged(int ack) {
        long deadline = System.nanoTime() + ACK_TIMEOUT_MILLIS * 1_000_000L;
        for (long left; (left = deadline - System.nanoTime()) > 0; ) {
            if (!await((int) Math.max(1, left / 1_000_000))) {
                continue;
            }
            int n;
            try {
                n = (int) LibC.recv(socket, bufferAddress, buffer.capacity(), MSG_DONTWAIT);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == LibC.ENOBUFS) {
                    return false; // it may be among those lost
                }
                continue;
            }
            for (int at = 0; at + NLMSG_HEADER <= n; ) {
                int length = buffer.getInt(at);
                if (length < NLMSG_HEADER || at + length > n) {
                    break;
                }
                if (length >= CN_DATA + EVENT_SIZE && isProcEvent(at)
                        && buffer.getInt(at + EVENT_WHAT) == PROC_EVENT_NONE
                        && buffer.getInt(at + CN_ACK) == ack + 1) {
                    return buffer.getInt(at + ACK_ERR) == 0;
                }
                at += align(length);
            }
        }
        return false;
    }

    /**
     * Sends PROC_CN_MCAST_LISTEN: with {@code dataLength} 4 the form every kernel takes (newer ones
     * then report every kind of event); with 8 a struct proc_input naming the kinds wanted.
     */
    private void send(int sequence, int ack, int dataLength) {
        buffer.clear();
        int length = CN_DATA + dataLength;
        buffer.putInt(0, length);
        buffer.putShort(4, (short) NLMSG_DONE);
        buffer.putShort(6, (short) 0);
        buffer.putInt(8, sequence);
        buffer.putInt(12, 0);
        buffer.putInt(CN_IDX, CN_IDX_PROC);
        buffer.putInt(CN_VAL, CN_VAL_PROC);
        buffer.putInt(CN_SEQ, sequence);
        buffer.putInt(CN_ACK, ack);
        buffer.putShort(CN_LEN, (short) dataLength);
        buffer.putShort(CN_LEN + 2, (short) 0);
        buffer.putInt(CN_DATA, PROC_CN_MCAST_LISTEN);
        if (dataLength == 8) {
            buffer.putInt(CN_DATA + 4, PROC_EVENT_FORK | PROC_EVENT_EXEC | PROC_EVENT_EXIT);
        }
        LibC.send(socket, bufferAddress, length, 0);
    }

    /**
     * Waits up to {@code timeoutMillis} for events, then hands those queued (up to a batch) to
     * {@code listener}. False when the kernel dropped events since the last call because the queue
     * was full: what happened meanwhile is to be found by looking.
     */
    public boolean receive(int timeoutMillis, Listener listener) {
        if (!await(timeoutMillis)) {
            return true;
        }
        boolean complete = true;
        for (int i = 0; i < BATCH; i++) {
            int n;
            try {
                n = (int) LibC.recv(socket, bufferAddress, buffer.capacity(), MSG_DONTWAIT);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == LibC.ENOBUFS) {
                    complete = false; // said once; the events queued since follow
                    continue;
                }
                break; // EAGAIN: all handled
            }
            for (int at = 0; at + NLMSG_HEADER <= n; ) {
                int length = buffer.getInt(at);
                if (length < NLMSG_HEADER || at + length > n) {
                    break;
                }
                if (length >= CN_DATA + EVENT_SIZE && isProcEvent(at)) {
                    dispatch(at, listener);
                }
                at += align(length);
            }
        }
        return complete;
    }

    private boolean isProcEvent(int at) {
        return buffer.getInt(at + CN_IDX) == CN_IDX_PROC && buffer.getInt(at + CN_VAL) == CN_VAL_PROC
                && (buffer.getShort(at + CN_LEN) & 0xffff) >= EVENT_SIZE;
    }

    private void dispatch(int at, Listener listener) {
        switch (buffer.getInt(at + EVENT_WHAT)) {
            case PROC_EVENT_FORK -> {
                int child = buffer.getInt(at + FORK_CHILD_PID);
                if (child == buffer.getInt(at + FORK_CHILD_TGID)) { // else a new thread
                    listener.forked(buffer.getInt(at + FORK_PARENT_TGID), child, buffer.getLong(at + EVENT_TIMESTAMP));
                }
            }
            case PROC_EVENT_EXEC -> listener.execed(buffer.getInt(at + PROCESS_TGID));
            case PROC_EVENT_EXIT -> {
                int pid = buffer.getInt(at + PROCESS_PID);
                if (pid == buffer.getInt(at + PROCESS_TGID)) {
                    listener.exited(pid);
                }
            }
            default -> {
                // ids, sessions, names, ptrace, core dumps, acknowledgements: not needed
            }
        }
    }

    /** Whether something can be read within {@code timeoutMillis}. */
    private boolean await(int timeoutMillis) {
        pollFd.setInt(0, socket);
        pollFd.setShort(4, LibC.POLLIN);
        pollFd.setShort(6, (short) 0);
        try {
            return LibC.poll(pollFd, 1, timeoutMillis) > 0;
        } catch (LastErrorException e) {
            return false; // EINTR: the caller comes back
        }
    }

    private static int align(int length) {
        return (length + 3) & ~3;
    }

    @Override
    public void close() {
        pollFd.close();
        try {
            LibC.close(socket);
        } catch (LastErrorException e) {
            // released either way
        }
    }
}
