package io.jvs.tap.netlink;

import io.jvs.tap.LibC;
import io.jvs.tap.Native;
import io.jvs.tap.NetworkNamespace;
import jnr.ffi.Pointer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * A NETLINK_ROUTE socket and its request/answer exchange: {@link #request} a message, then {@link #execute} (wait
 * for the ack), {@link #get} (one answer) or {@link #dump} + {@link #nextInDump} (a multipart answer). Answers are
 * matched by sequence number; a kernel error becomes a {@link NetlinkException} with the errno and the kernel's
 * extended-ack text. The socket serves the network namespace it was created in ({@link #openIn}), whatever thread
 * uses it later. Not thread-safe: one request at a time.
 */
public final class NetlinkSocket implements AutoCloseable
{
    static final int AF_NETLINK = 16;
    static final int SOCK_RAW = 3;
    static final int SOCK_CLOEXEC = 0x8_0000;
    static final int NETLINK_ROUTE = 0;
    static final int SOL_SOCKET = 1;
    static final int SO_RCVTIMEO = 20;
    static final int SOL_NETLINK = 270;
    /** Errors echo only the request's header, not the whole request. */
    static final int NETLINK_CAP_ACK = 10;
    /** Errors carry the kernel's explanation (NLMSGERR_ATTR_MSG). */
    static final int NETLINK_EXT_ACK = 11;

    /** Largest request jvs builds (a veth pair with its peer is ~120 bytes). */
    static final int REQUEST_CAPACITY = 4096;
    /** The kernel sizes dump datagrams to at most 32 KB (and to what recvmsg asked for), so this never truncates. */
    static final int ANSWER_CAPACITY = 32 * 1024;
    /** A kernel that does not answer in this time is not going to. */
    static final int RECEIVE_TIMEOUT_SECONDS = 5;

    private static final LibC LIBC = Native.libc();

    private final int fd;
    private final ByteBuffer requestMemory = ByteBuffer.allocateDirect(REQUEST_CAPACITY);
    private final ByteBuffer answerMemory = ByteBuffer.allocateDirect(ANSWER_CAPACITY);
    private final UnsafeBuffer requestBuffer = new UnsafeBuffer(requestMemory);
    private final UnsafeBuffer answerBuffer = new UnsafeBuffer(answerMemory);
    private final NetlinkEncoder encoder = new NetlinkEncoder();
    private int seq;
    private String what;
    private int readPosition;
    private int readEnd;
    private boolean dumpDone;

    private NetlinkSocket(final int fd)
    {
        this.fd = fd;
    }

    /** A socket in the calling thread's network namespace. */
    public static NetlinkSocket open()
    {
        final int fd = LIBC.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0)
        {
            throw new NetlinkException("socket(AF_NETLINK)", Native.errno(), null);
        }
        try
        {
            final Pointer option = Native.allocate(16);
            option.putInt(0, 1);
            // Best effort: both only shape error answers (kernels before 4.12 lack EXT_ACK).
            LIBC.setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, option, Integer.BYTES);
            LIBC.setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, option, Integer.BYTES);
            option.putLong(0, RECEIVE_TIMEOUT_SECONDS); // struct timeval { tv_sec; tv_usec; }
            option.putLong(8, 0);
            if (LIBC.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, option, 16) != 0)
            {
                throw new NetlinkException("setsockopt(SO_RCVTIMEO)", Native.errno(), null);
            }
            return new NetlinkSocket(fd);
        }
        catch (final RuntimeException ex)
        {
            LIBC.close(fd);
            throw ex;
        }
    }

    /**
     * A socket in the namespace of {@code namespaceFile} (/run/netns/NAME, /proc/PID/ns/net), created on a
     * short-lived thread that enters it, so no thread of the caller ever changes namespace.
     */
    public static NetlinkSocket openIn(final Path namespaceFile)
    {
        return NetworkNamespace.call(namespaceFile, NetlinkSocket::open);
    }

    /**
     * The encoder for the next request, positioned at the start of the request buffer; write it with
     * {@link RtnetlinkRequests} using {@link #nextSeq()}.
     *
     * @param what names the request in errors, e.g. "RTM_NEWLINK jv1234abcd".
     */
    public NetlinkEncoder encoder(final String what)
    {
        this.what = what;
        return encoder.wrap(requestBuffer, 0, REQUEST_CAPACITY);
    }

    /** A new sequence number; the answers to the next request are those that carry it. */
    public int nextSeq()
    {
        return ++seq;
    }

    /** Sends the request (which must carry NLM_F_ACK) and waits for its ack; a refusal throws. */
    public void execute()
    {
        send();
        while (true)
        {
            final int message = receive();
            if (NetlinkDecoder.type(answerBuffer, message) == NetlinkHeaderDescriptor.NLMSG_ERROR)
            {
                return; // error 0: the ack (a failure has thrown in receive)
            }
        }
    }

    /** Sends a GET request for one object. @return the offset of the answer in {@link #answer()}. */
    public int get()
    {
        send();
        return receive();
    }

    /** Sends a request made with NLM_F_DUMP; read its answers with {@link #nextInDump}. */
    public void dump()
    {
        send();
        dumpDone = false;
    }

    /** @return the offset of the dump's next message in {@link #answer()}, or -1 after the last. */
    public int nextInDump()
    {
        if (dumpDone)
        {
            return -1;
        }
        final int message = receive();
        if (NetlinkDecoder.type(answerBuffer, message) == NetlinkHeaderDescriptor.NLMSG_DONE)
        {
            dumpDone = true;
            if ((NetlinkDecoder.flags(answerBuffer, message) & NetlinkHeaderDescriptor.NLM_F_DUMP_INTR) != 0)
            {
                throw new IllegalStateException(what + ": dump interrupted by a concurrent change, retry");
            }
            return -1;
        }
        return message;
    }

    /** The buffer answers are read into; offsets from {@link #get} and {@link #nextInDump} index it. */
    public UnsafeBuffer answer()
    {
        return answerBuffer;
    }

    @Override
    public void close()
    {
        LIBC.close(fd);
    }

    private void send()
    {
        final int length = encoder.finish();
        readPosition = 0;
        readEnd = 0;
        final long sent = LIBC.write(fd, requestBuffer.addressOffset(), length);
        if (sent != length)
        {
            throw new NetlinkException(what + ": sending the request", sent < 0 ? Native.errno() : Errno.EAGAIN,
                null);
        }
    }

    /** Next message answering the current request; NLMSG_ERROR with an errno throws. */
    private int receive()
    {
        while (true)
        {
            if (readPosition >= readEnd)
            {
                fill();
            }
            final int message = readPosition;
            readPosition = NetlinkDecoder.next(answerBuffer, message, readEnd);
            if (NetlinkDecoder.seq(answerBuffer, message) != seq)
            {
                continue; // a late answer to an earlier request that gave up
            }
            if (NetlinkDecoder.type(answerBuffer, message) == NetlinkHeaderDescriptor.NLMSG_ERROR)
            {
                final int error = NetlinkDecoder.error(answerBuffer, message);
                if (error != 0)
                {
                    throw new NetlinkException(what, -error, NetlinkDecoder.errorText(answerBuffer, message));
                }
            }
            return message;
        }
    }

    private void fill()
    {
        while (true)
        {
            final long read = LIBC.read(fd, answerBuffer.addressOffset(), ANSWER_CAPACITY);
            if (read > 0)
            {
                readPosition = 0;
                readEnd = (int)read;
                return;
            }
            final int errno = read < 0 ? Native.errno() : Errno.EAGAIN;
            if (errno != Errno.EINTR)
            {
                throw new NetlinkException(what + ": no answer from the kernel", errno, null);
            }
        }
    }
}
