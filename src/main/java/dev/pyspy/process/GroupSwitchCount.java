package dev.pyspy.process;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * How many times the threads of a process were switched onto a CPU, all of them together, in one
 * netlink request: the kernel's taskstats for a thread group ({@code TASKSTATS_CMD_ATTR_TGID}), whose
 * {@code cpu_count} sums each live thread's {@code sched_info.pcount} (the count schedstat's third
 * field shows per thread) and those of the threads that exited (kept in the process's own stats
 * when a thread exits, before it leaves the list). A thread that exits moves its count, it does not
 * take it away; but the kernel moves it before the thread stops being counted live, and a switch-in
 * after the move is lost, so around a thread's exit the total can stand a little high and then
 * drop. Callers compare it for equality only, and a thread set that changes invalidates the
 * comparison anyway. One request instead of one schedstat read per thread.
 *
 * <p>Needs CAP_NET_ADMIN and the initial network namespace; {@link #open} returns null where the
 * kernel refuses it (callers read each thread's schedstat then). Not thread-safe.
 */
final class GroupSwitchCount implements AutoCloseable {
    private static final int NLMSG_ERROR = 2;
    private static final int NLM_F_REQUEST = 1;
    private static final int GENL_ID_CTRL = 0x10;
    private static final int CTRL_CMD_GETFAMILY = 3;
    private static final int CTRL_ATTR_FAMILY_ID = 1;
    private static final int CTRL_ATTR_FAMILY_NAME = 2;
    private static final int TASKSTATS_CMD_GET = 1;
    private static final int TASKSTATS_CMD_ATTR_TGID = 2;
    private static final int TASKSTATS_TYPE_STATS = 3;
    private static final int TASKSTATS_TYPE_AGGR_TGID = 5;
    /** struct taskstats: {@code cpu_count} (u64) follows version, ac_exitcode, ac_flag and ac_nice. */
    private static final int CPU_COUNT_OFFSET = 16;
    private static final int NLMSG_HEADER = 16;
    private static final int GENL_HEADER = 4;

    private final int pid;
    private final int socket;
    private final int family;
    private final ByteBuffer request = ByteBuffer.allocateDirect(64).order(ByteOrder.nativeOrder());
    private final long requestAddress = Pointer.nativeValue(Native.getDirectBufferPointer(request));
    private final ByteBuffer reply = ByteBuffer.allocateDirect(8192).order(ByteOrder.nativeOrder());
    private final long replyAddress = Pointer.nativeValue(Native.getDirectBufferPointer(reply));
    private int sequence;

    private GroupSwitchCount(int pid, int socket) {
        this.pid = pid;
        this.socket = socket;
        this.family = resolveFamily();
    }

    /** A reader of {@code pid}'s count, or null when the kernel does not answer (or refuses) taskstats. */
    static GroupSwitchCount open(int pid) {
        int fd;
        try {
            fd = LibC.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, LibC.NETLINK_GENERIC);
        } catch (LastErrorException | UnsatisfiedLinkError e) {
            return null;
        }
        GroupSwitchCount c = new GroupSwitchCount(pid, fd);
        if (c.family <= 0 || c.read() < 0) {
            c.close();
            return null;
        }
        return c;
    }

    /** The count now; -1 when it cannot be read (the process is gone, or the reply was not understood). */
    long read() {
        request.clear();
        int at = header(family, TASKSTATS_CMD_GET);
        request.putShort(at, (short) 8);
        request.putShort(at + 2, (short) TASKSTATS_CMD_ATTR_TGID);
        request.putInt(at + 4, pid);
        int length = exchange(at + 8);
        if (length < 0) {
            return -1;
        }
        for (int a = NLMSG_HEADER + GENL_HEADER; a + 4 <= length; a += align(reply.getShort(a) & 0xffff)) {
            int attrLength = reply.getShort(a) & 0xffff;
            if (attrLength < 4 || a + attrLength > length) {
                return -1;
            }
            if ((reply.getShort(a + 2) & 0x3fff) != TASKSTATS_TYPE_AGGR_TGID) {
                continue;
            }
            for (int n = a + 4; n + 4 <= a + attrLength; n += align(reply.getShort(n) & 0xffff)) {
                int nestedLength = reply.getShort(n) & 0xffff;
                if (nestedLength < 4) {
                    return -1;
                }
                if ((reply.getShort(n + 2) & 0x3fff) == TASKSTATS_TYPE_STATS
                        && nestedLength >= 4 + CPU_COUNT_OFFSET + 8 && n + nestedLength <= length) {
                    return reply.getLong(n + 4 + CPU_COUNT_OFFSET);
                }
            }
        }
        return -1;
    }

    /** The generic netlink family id of "TASKSTATS", or -1. */
    private int resolveFamily() {
        request.clear();
        int at = header(GENL_ID_CTRL, CTRL_CMD_GETFAMILY);
        byte[] name = "TASKSTATS\0".getBytes(StandardCharsets.US_ASCII);
        request.putShort(at, (short) (4 + name.length));
        request.putShort(at + 2, (short) CTRL_ATTR_FAMILY_NAME);
        request.put(at + 4, name);
        int length = exchange(at + align(4 + name.length));
        for (int a = NLMSG_HEADER + GENL_HEADER; length > 0 && a + 4 <= length; a += align(reply.getShort(a) & 0xffff)) {
            int attrLength = reply.getShort(a) & 0xffff;
            if (attrLength < 4) {
                return -1;
            }
            if (reply.getShort(a + 2) == CTRL_ATTR_FAMILY_ID && attrLength >= 6) {
                return reply.getShort(a + 4) & 0xffff;
            }
        }
        return -1;
    }

    /** Writes the netlink and generic netlink headers; returns where the attributes start. */
    private int header(int type, int command) {
        request.putShort(4, (short) type);
        request.putShort(6, (short) NLM_F_REQUEST);
        request.putInt(8, ++sequence);
        request.putInt(12, 0);
        request.put(NLMSG_HEADER, (byte) command);
        request.put(NLMSG_HEADER + 1, (byte) 1);
        request.putShort(NLMSG_HEADER + 2, (short) 0);
        return NLMSG_HEADER + GENL_HEADER;
    }

    /** Sends the request of {@code length} bytes; returns the length of its reply, -1 on an error. */
    private int exchange(int length) {
        request.putInt(0, length);
        try {
            LibC.send(socket, requestAddress, length, 0);
            while (true) {
                int n = (int) LibC.recv(socket, replyAddress, reply.capacity(), 0);
                if (n < NLMSG_HEADER + GENL_HEADER || reply.getInt(0) > n) {
                    return -1;
                }
                if (reply.getInt(8) != sequence) {
                    continue; // the answer to an earlier request that gave up
                }
                return reply.getShort(4) == NLMSG_ERROR ? -1 : reply.getInt(0);
            }
        } catch (LastErrorException e) {
            return -1;
        }
    }

    private static int align(int length) {
        return (length + 3) & ~3;
    }

    @Override
    public void close() {
        try {
            LibC.close(socket);
        } catch (LastErrorException e) {
            // released either way
        }
    }
}
