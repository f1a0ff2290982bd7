package io.rackshare.nbd;

import static io.rackshare.nbd.NbdProtocol.*;

import io.rackshare.access.BlockDevice;
import io.rackshare.access.BlockDeviceException;
import io.rackshare.access.CallerRuns;
import io.rackshare.access.IoError;
import io.rackshare.io.ChannelReader;
import io.rackshare.io.DirectBufferPool;
import io.rackshare.io.Ranges;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One NBD client connection: the fixed newstyle handshake, then transmission. A reader thread
 * parses requests and starts them on the {@link BlockDevice}; replies are queued as requests
 * complete, in any order, and written by a writer thread, so no caller's thread ever blocks on
 * the socket. Requests in flight are bounded; when the bound is reached the reader stops reading
 * and TCP pushes back on the client.
 *
 * <p>Threads: the reader (which may block: {@code FrameWriter.mayBlock}) and the writer. One
 * exception to the writer's rule: a small READ alone in flight whose data is on this blade is read
 * and answered on the reader's own thread ({@link CallerRuns}), as nbdkit does every request, since at
 * queue depth 1 the two hand-offs would cost several times the read.
 */
final class NbdConnection implements Runnable {

  private static final Logger log = LoggerFactory.getLogger(NbdConnection.class);
  /** A queued reply: the 16-byte header and, for reads, the data and who takes its buffer back. */
  private record Reply(ByteBuffer header, ByteBuffer data, Runnable written) {}

  private static final Reply POISON = new Reply(ByteBuffer.allocate(0), null, null);

  /** The client broke the protocol in a way that leaves the stream unusable: close. */
  static final class ProtocolViolation extends IOException {
    ProtocolViolation(String message) {
      super(message);
    }
  }

  private final SocketChannel channel;
  private final NbdExports exports;
  private final NbdSettings settings;
  private final String peer;
  private final Runnable onClose;
  /** Reads the client: the plain channel, or TLS once STARTTLS is done (reader thread only). */
  private ChannelReader in;
  /** Writes to the client: the plain channel, or TLS (the handshake's thread, then the writer's). */
  private volatile java.nio.channels.GatheringByteChannel out;
  private final NbdTls tls;
  private boolean tlsDone;
  private final DirectBufferPool buffers;
  private final io.rackshare.io.MemoryBudget budget;
  private final Semaphore inFlight;
  /** When the payload being read must have arrived (System.nanoTime), or 0 when none is. */
  private volatile long payloadDeadline;
  private final java.util.concurrent.atomic.AtomicLong refusedForMemory = new java.util.concurrent.atomic.AtomicLong();
  private final BlockingQueue<Reply> replies = new LinkedBlockingQueue<>();
  private volatile boolean handshakeDone;
  private volatile boolean closed;
  /** The server shuts down: requests read from now on get ESHUTDOWN ({@link #stop}). */
  private volatile boolean stopping;
  /** The client negotiated structured replies (reads and block status answer in chunks). */
  private boolean structured;
  /** The export whose base:allocation context the client selected (SET_META_CONTEXT), or null. */
  private String allocationFor;
  /** Block status is on for the export in use (reader thread, after the handshake). */
  private boolean allocation;

  NbdConnection(SocketChannel channel, NbdExports exports, NbdSettings settings, String peer,
      DirectBufferPool buffers, io.rackshare.io.MemoryBudget budget, NbdTls tls, Runnable onClose) {
    this.channel = channel;
    this.exports = exports;
    this.settings = settings;
    this.peer = peer;
    this.onClose = onClose;
    this.in = new ChannelReader(channel, 256 * 1024);
    this.out = channel;
    this.tls = tls;
    this.buffers = buffers;
    this.budget = budget;
    this.inFlight = new Semaphore(settings.maxInFlightPerConnection());
  }

  boolean handshakeDone() {
    return handshakeDone;
  }

  /** The export this connection serves, once its handshake chose one (else null). */
  String serving() {
    return serving;
  }

  private volatile String serving;

  /** When the replies being written must have gone out (System.nanoTime), or 0 when none are. */
  private volatile long replyDeadline;

  /**
   * Whether the client stalls: a payload that stopped arriving or comes slower than the minimum
   * rate, or replies it does not take (the watchdog closes it, which frees what they hold).
   */
  boolean stalled(long now) {
    long d = payloadDeadline;
    long r = replyDeadline;
    return d != 0 && now - d > 0 || r != 0 && now - r > 0;
  }

  String peer() {
    return peer;
  }

  /** The end of the payload being read: no later than its rate allows, nor than a stall allows. */
  private long payloadEnd;

  private void payloadComing(long length) {
    long now = System.nanoTime();
    payloadEnd = now + 5_000_000_000L + (long) (length * 1e9 / settings.minPayloadRate());
    progress(now);
  }

  private void progress(long now) {
    payloadDeadline = Math.min(payloadEnd, now + settings.payloadStallTimeout().toNanos());
  }

  /** A WRITE's payload is read, reserved and written in pieces of at most this many bytes. */
  static final int CHUNK = 1 << 20;

  /** Reads past {@code length} bytes of payload (no memory), step by step, so the stream stays in step. */
  private void skipPayload(long length) throws IOException {
    try {
      for (long left = length; left > 0; left -= Math.min(left, 256 << 10)) {
        in.skip(Math.min(left, 256 << 10));
        progress(System.nanoTime());
      }
    } finally {
      payloadDeadline = 0;
    }
  }

  /** A piece of a WRITE's payload: its buffer and the memory reserved for it. */
  private record Piece(ByteBuffer buffer, int reserved) {}

  private void release(Piece p) {
    buffers.release(p.buffer());
    budget.release(p.reserved());
  }

  /** Gives back the buffers and reserved memory of pieces read so far. */
  private void releasePieces(List<Piece> pieces) {
    pieces.forEach(this::release);
    pieces.clear();
  }

  /** Reads a payload into {@code data} step by step, each step proving the client is still sending. */
  private void readPayload(ByteBuffer data) throws IOException {
    int end = data.limit();
    while (data.position() < end) {
      data.limit(Math.min(end, data.position() + (256 << 10)));
      in.readFully(data);
      progress(System.nanoTime());
    }
  }

  /** Reserves a payload's memory, waiting a bounded time; false (and said once) if none came. */
  private boolean reserve(long length) throws IOException {
    try {
      if (budget.reserve(length, settings.memoryWait())) return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
    if (refusedForMemory.getAndIncrement() == 0) {
      log.warn("NBD client {}: no room for a {}-byte payload within {} (all connections share {} bytes);"
          + " answering ENOMEM", peer, length, settings.memoryWait(), budget.bytes());
    }
    return false;
  }

  /** Held while replies are written: by the writer thread, or the reader writing its own ({@link #writeNow}). */
  private final Object writing = new Object();

  /**
   * Writes {@code r} on this (the reader's) thread if no other reply waits for the writer; false
   * if one does (then the writer takes it, in its turn). On a write failure the connection
   * closes, as the writer's would.
   */
  private boolean writeNow(Reply r) {
    synchronized (writing) {
      if (!replies.isEmpty() || closed) return false;
      ByteBuffer[] bufs = r.data() == null ? new ByteBuffer[] {r.header()} : new ByteBuffer[] {r.header(), r.data()};
      try {
        writeAll(bufs, r.header().remaining() + (r.data() == null ? 0 : r.data().remaining()));
      } catch (IOException e) {
        if (!closed) log.debug("NBD client {}: write failed: {}", peer, e.toString());
        close();
      } finally {
        if (r.written() != null) r.written().run();
        inFlight.release();
      }
      return true;
    }
  }

  /**
   * Writes {@code total} bytes of {@code bufs} under {@link #writing}; the watchdog closes a client
   * that takes none of them for the stall time-out ({@link #replyDeadline}).
   */
  private void writeAll(ByteBuffer[] bufs, long total) throws IOException {
    synchronized (writing) {
      long stall = settings.payloadStallTimeout().toNanos();
      try {
        replyDeadline = System.nanoTime() + stall;
        while (total > 0) {
          long n = out.write(bufs);
          total -= n;
          if (n > 0) replyDeadline = System.nanoTime() + stall;
        }
      } finally {
        replyDeadline = 0;
      }
    }
  }

  /** Queues a reply for the writer; one that comes after the connection closed frees what it holds. */
  private void queue(Reply r) {
    replies.offer(r);
    if (closed) releaseUnsent();
  }

  /** Frees the buffers (and memory) of replies that will never be written. */
  private void releaseUnsent() {
    Reply r;
    boolean poison = false;
    while ((r = replies.poll()) != null) {
      if (r == POISON) poison = true;
      else if (r.written() != null) r.written().run();
    }
    if (poison) replies.offer(POISON); // the writer may still be waiting for it
  }

  @Override
  public void run() {
    // This connection's own thread: it may wait for a lane connection's socket itself.
    io.rackshare.smm.FrameWriter.mayBlock();
    try {
      Optional<BlockDevice> device = handshake();
      if (device.isPresent()) {
        handshakeDone = true;
        transmission(device.get());
      }
    } catch (ProtocolViolation e) {
      log.warn("NBD client {}: {}; closing the connection", peer, e.getMessage());
    } catch (EOFException e) {
      log.debug("NBD client {} closed the connection", peer);
    } catch (IOException e) {
      if (!closed) log.debug("NBD client {}: {}", peer, e.toString());
    } catch (RuntimeException e) {
      log.error("NBD client {}: unexpected failure; closing the connection", peer, e);
    } finally {
      close();
    }
  }

  /**
   * The server shuts down (NBD's soft disconnect): every request read from now on is answered
   * {@code ESHUTDOWN} (a write's payload is read and dropped), while those already in flight go on.
   */
  void stop() {
    stopping = true;
  }

  /** No request is in flight: after {@link #stop}, every one the client was told of is answered. */
  boolean idle() {
    return inFlight.availablePermits() == settings.maxInFlightPerConnection();
  }

  void close() {
    if (closed) return;
    closed = true;
    replies.offer(POISON);
    try {
      channel.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    onClose.run();
  }

  // ---- handshake -----------------------------------------------------------------------------

  private Optional<BlockDevice> handshake() throws IOException {
    ByteBuffer greeting = ByteBuffer.allocate(18);
    greeting.putLong(NBDMAGIC).putLong(IHAVEOPT).putShort((short) (FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES));
    write(greeting.flip());
    int clientFlags = in.readInt();
    if ((clientFlags & ~(CLIENT_FLAG_FIXED_NEWSTYLE | CLIENT_FLAG_NO_ZEROES)) != 0) {
      throw new ProtocolViolation("unknown client flags 0x" + Integer.toHexString(clientFlags));
    }
    boolean noZeroes = (clientFlags & CLIENT_FLAG_NO_ZEROES) != 0;
    while (true) {
      long magic = in.readLong();
      if (magic != IHAVEOPT) throw new ProtocolViolation("bad option magic 0x" + Long.toHexString(magic));
      int option = in.readInt();
      int length = in.readInt();
      if (length < 0 || length > 64 * 1024) {
        throw new ProtocolViolation("option " + option + " with " + Integer.toUnsignedString(length) + " bytes of data");
      }
      byte[] data = new byte[length];
      in.readFully(data);
      // (The Unix socket has no TLS: it is this host's alone, guarded by its file mode.)
      if (tls != null && settings.tlsMode() == NbdTls.Mode.REQUIRE && !tlsDone && option != OPT_STARTTLS
          && option != OPT_ABORT) {
        if (option == OPT_EXPORT_NAME) throw new ProtocolViolation("NBD_OPT_EXPORT_NAME before TLS, which is required");
        optionError(option, REP_ERR_TLS_REQD, "this server requires TLS (NBD_OPT_STARTTLS) first");
        continue;
      }
      switch (option) {
        case OPT_STARTTLS -> startTls(length);
        case OPT_EXPORT_NAME -> {
          String name = new String(data, StandardCharsets.UTF_8);
          Optional<BlockDevice> d = exports.open(name);
          if (d.isEmpty()) throw new ProtocolViolation("no export '" + name + "'");
          ByteBuffer b = ByteBuffer.allocate(noZeroes ? 10 : 134);
          b.putLong(d.get().size()).putShort(transmissionFlags(d.get()));
          write(b.position(b.capacity()).flip());
          allocation = name.equals(allocationFor);
          return d;
        }
        case OPT_ABORT -> {
          optionReply(option, REP_ACK, new byte[0]);
          return Optional.empty();
        }
        case OPT_LIST -> {
          if (length != 0) {
            optionError(option, REP_ERR_INVALID, "NBD_OPT_LIST takes no data");
          } else {
            for (String name : exports.names()) {
              byte[] n = name.getBytes(StandardCharsets.UTF_8);
              optionReply(option, REP_SERVER, ByteBuffer.allocate(4 + n.length).putInt(n.length).put(n).array());
            }
            optionReply(option, REP_ACK, new byte[0]);
          }
        }
        case OPT_INFO, OPT_GO -> {
          Optional<BlockDevice> d = infoOrGo(option, data);
          if (option == OPT_GO && d.isPresent()) return d;
        }
        case OPT_STRUCTURED_REPLY -> {
          if (length != 0) {
            optionError(option, REP_ERR_INVALID, "NBD_OPT_STRUCTURED_REPLY takes no data");
          } else {
            structured = true;
            optionReply(option, REP_ACK, new byte[0]);
          }
        }
        case OPT_LIST_META_CONTEXT, OPT_SET_META_CONTEXT -> metaContext(option, data);
        default -> optionError(option, REP_ERR_UNSUP, "option " + option + " is not supported");
      }
    }
  }

  /** NBD_OPT_LIST_META_CONTEXT / NBD_OPT_SET_META_CONTEXT: base:allocation, for block status. */
  private void metaContext(int option, byte[] data) throws IOException {
    boolean set = option == OPT_SET_META_CONTEXT;
    if (set && !structured) {
      optionError(option, REP_ERR_INVALID, "NBD_OPT_SET_META_CONTEXT needs NBD_OPT_STRUCTURED_REPLY first");
      return;
    }
    MetaContexts.Request r;
    try {
      r = MetaContexts.parse(data);
    } catch (IllegalArgumentException e) {
      optionError(option, REP_ERR_INVALID, e.getMessage());
      return;
    }
    if (exports.open(r.export()).isEmpty()) {
      optionError(option, REP_ERR_UNKNOWN, "no export '" + r.export() + "'");
      return;
    }
    List<String> contexts = MetaContexts.matching(r, set);
    if (set) allocationFor = contexts.isEmpty() ? null : r.export();
    for (String c : contexts) optionReply(option, REP_META_CONTEXT, MetaContexts.reply(c));
    optionReply(option, REP_ACK, new byte[0]);
  }

  /** NBD_OPT_STARTTLS: the ACK, then TLS over the same connection (nothing may be buffered between). */
  private void startTls(int length) throws IOException {
    if (tls == null) {
      optionError(OPT_STARTTLS, REP_ERR_POLICY, "TLS is off on this server (rackshare.nbd.tls.mode)");
      return;
    }
    if (tlsDone || length != 0) {
      optionError(OPT_STARTTLS, REP_ERR_INVALID, tlsDone ? "TLS is on already" : "NBD_OPT_STARTTLS takes no data");
      return;
    }
    optionReply(OPT_STARTTLS, REP_ACK, new byte[0]);
    if (in.buffered() != 0) throw new ProtocolViolation("data sent after NBD_OPT_STARTTLS before its reply");
    javax.net.ssl.SSLSocket s;
    try {
      s = tls.accept(channel.socket());
    } catch (IOException e) {
      throw new ProtocolViolation("TLS handshake failed: " + io.rackshare.util.LogText.printable(e.getMessage()));
    }
    in = new ChannelReader(java.nio.channels.Channels.newChannel(s.getInputStream()), 256 * 1024);
    out = new StreamChannel(s.getOutputStream());
    tlsDone = true;
    // What was negotiated in clear does not count (someone on the path could have asked it).
    structured = false;
    allocationFor = null;
    log.info("NBD client {}: TLS {} ({}){}", peer, s.getSession().getProtocol(), s.getSession().getCipherSuite(),
        clientName(s));
  }

  private static String clientName(javax.net.ssl.SSLSocket s) {
    try {
      return ", client " + ((java.security.cert.X509Certificate) s.getSession().getPeerCertificates()[0])
          .getSubjectX500Principal().getName();
    } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
      return "";
    }
  }

  /** Gathering writes to a stream (TLS): buffered, flushed at the end of each call. */
  static final class StreamChannel implements java.nio.channels.GatheringByteChannel {
    private final java.io.OutputStream stream;
    private final byte[] chunk = new byte[64 * 1024];
    private volatile boolean open = true;

    StreamChannel(java.io.OutputStream stream) {
      this.stream = stream;
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
      long n = 0;
      for (int i = offset; i < offset + length; i++) {
        ByteBuffer b = srcs[i];
        while (b.hasRemaining()) {
          int k = Math.min(chunk.length, b.remaining());
          b.get(chunk, 0, k);
          stream.write(chunk, 0, k);
          n += k;
        }
      }
      stream.flush();
      return n;
    }

    @Override
    public long write(ByteBuffer[] srcs) throws IOException {
      return write(srcs, 0, srcs.length);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      return (int) write(new ByteBuffer[] {src});
    }

    @Override
    public boolean isOpen() {
      return open;
    }

    @Override
    public void close() throws IOException {
      open = false;
      stream.close();
    }
  }

  private Optional<BlockDevice> infoOrGo(int option, byte[] data) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(data);
    if (b.remaining() < 6) {
      optionError(option, REP_ERR_INVALID, "truncated NBD_OPT_INFO/GO");
      return Optional.empty();
    }
    int nameLength = b.getInt();
    if (nameLength < 0 || nameLength > b.remaining() - 2) {
      optionError(option, REP_ERR_INVALID, "bad name length " + nameLength);
      return Optional.empty();
    }
    byte[] n = new byte[nameLength];
    b.get(n);
    int requests = Short.toUnsignedInt(b.getShort());
    if (b.remaining() != requests * 2) {
      optionError(option, REP_ERR_INVALID, "bad information request count " + requests);
      return Optional.empty();
    }
    List<Short> wanted = new ArrayList<>();
    for (int i = 0; i < requests; i++) wanted.add(b.getShort());
    String name = new String(n, StandardCharsets.UTF_8);
    Optional<BlockDevice> d = exports.open(name);
    if (d.isEmpty()) {
      optionError(option, REP_ERR_UNKNOWN, "no export '" + name + "' (exports: " + exports.names() + ")");
      return Optional.empty();
    }
    BlockDevice dev = d.get();
    optionReply(option, REP_INFO, ByteBuffer.allocate(12)
        .putShort(INFO_EXPORT).putLong(dev.size()).putShort(transmissionFlags(dev)).array());
    // Sent whether asked or not: any alignment works, the volume's block size is preferred.
    optionReply(option, REP_INFO, ByteBuffer.allocate(14).putShort(INFO_BLOCK_SIZE)
        .putInt(1).putInt(Math.max(512, dev.blockSize())).putInt(settings.maxPayload()).array());
    if (wanted.contains(INFO_NAME)) {
      byte[] canonical = dev.name().getBytes(StandardCharsets.UTF_8);
      optionReply(option, REP_INFO, ByteBuffer.allocate(2 + canonical.length).putShort(INFO_NAME).put(canonical).array());
    }
    if (wanted.contains(INFO_DESCRIPTION)) {
      byte[] text = exports.describe(dev.name()).getBytes(StandardCharsets.UTF_8);
      optionReply(option, REP_INFO, ByteBuffer.allocate(2 + text.length).putShort(INFO_DESCRIPTION).put(text).array());
    }
    optionReply(option, REP_ACK, new byte[0]);
    if (option == OPT_GO) allocation = name.equals(allocationFor);
    return d;
  }

  private short transmissionFlags(BlockDevice device) {
    // CAN_MULTI_CONN is safe: a flush forces every member device, so it covers every write that
    // completed on any connection before it. A read is always one chunk: DF costs nothing.
    if (device.readOnly()) {
      // A removable medium: clients are told not to write (and get EPERM if they do).
      return (short) (TF_HAS_FLAGS | TF_READ_ONLY | TF_SEND_FLUSH | TF_CAN_MULTI_CONN | TF_SEND_CACHE
          | (structured ? TF_SEND_DF : 0));
    }
    return (short) (TF_HAS_FLAGS | TF_SEND_FLUSH | TF_SEND_FUA | TF_SEND_TRIM | TF_SEND_WRITE_ZEROES
        | TF_CAN_MULTI_CONN | TF_SEND_CACHE | TF_SEND_FAST_ZERO | (structured ? TF_SEND_DF : 0));
  }

  private void optionReply(int option, int type, byte[] data) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(20 + data.length);
    b.putLong(OPTION_REPLY_MAGIC).putInt(option).putInt(type).putInt(data.length).put(data);
    write(b.flip());
  }

  private void optionError(int option, int type, String message) throws IOException {
    log.debug("NBD client {}: option {} refused: {}", peer, option, message);
    optionReply(option, type, message.getBytes(StandardCharsets.UTF_8));
  }

  private void write(ByteBuffer b) throws IOException {
    while (b.hasRemaining()) out.write(new ByteBuffer[] {b});
  }

  // ---- transmission --------------------------------------------------------------------------

  private void transmission(BlockDevice device) throws IOException {
    serving = device.name();
    Thread writer = new Thread(this::writeReplies, "nbd-writer-" + peer);
    writer.setDaemon(true);
    writer.start();
    log.info("NBD client {} uses export '{}' ({} bytes)", peer, device.name(), device.size());
    try {
      while (!closed) {
        int magic = in.readInt();
        if (magic != REQUEST_MAGIC) throw new ProtocolViolation("bad request magic 0x" + Integer.toHexString(magic));
        int flags = Short.toUnsignedInt(in.readShort());
        int type = Short.toUnsignedInt(in.readShort());
        long handle = in.readLong();
        long offset = in.readLong();
        long length = Integer.toUnsignedLong(in.readInt());
        if (type == CMD_DISC) {
          log.debug("NBD client {} disconnects", peer);
          return;
        }
        acquire();
        try {
          serve(device, flags, type, handle, offset, length);
        } catch (IOException | RuntimeException e) {
          // Its payload never came: no reply will give its place back.
          inFlight.release();
          throw e;
        }
      }
    } finally {
      drain();
    }
  }

  private void acquire() throws IOException {
    try {
      inFlight.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
  }

  /** Waits (bounded) for the replies of requests in flight before the connection closes. */
  private void drain() {
    try {
      if (!inFlight.tryAcquire(settings.maxInFlightPerConnection(), settings.drainTimeout().toMillis(),
          TimeUnit.MILLISECONDS)) {
        log.warn("NBD client {}: requests still in flight after {}; closing anyway", peer, settings.drainTimeout());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void serve(BlockDevice device, int flags, int type, long handle, long offset, long length)
      throws IOException {
    if (stopping) {
      // Checked after this request took its place in flight: the server's drain, which set the
      // flag first, waits for this reply.
      if (type == CMD_WRITE) skipPayload(length);
      reply(type, handle, ESHUTDOWN);
      return;
    }
    boolean fua = (flags & CMD_FLAG_FUA) != 0;
    int knownFlags = CMD_FLAG_FUA | switch (type) {
      case CMD_WRITE_ZEROES -> CMD_FLAG_NO_HOLE | CMD_FLAG_FAST_ZERO;
      case CMD_READ -> structured ? CMD_FLAG_DF : 0;
      case CMD_BLOCK_STATUS -> CMD_FLAG_REQ_ONE;
      default -> 0;
    };
    long size = device.size();
    switch (type) {
      case CMD_READ -> {
        if ((flags & ~knownFlags) != 0 || length > settings.maxPayload() || !Ranges.fits(offset, length, size)) {
          reply(type, handle, EINVAL);
          return;
        }
        if (length == 0) {
          // Nothing to send: a structured reply's data chunk must carry at least a byte.
          queue(new Reply(structured ? NbdReplies.done(handle) : NbdReplies.simple(handle, 0), null, null));
          return;
        }
        if (!reserve(length)) {
          reply(type, handle, ENOMEM);
          return;
        }
        // Alone in flight (queue depth 1): this thread has nothing else to do, so a small read of
        // this blade's own device runs here and its reply is written from here, with no hand-off
        // between threads (each costs more than such a read; see access.CallerRuns). A large
        // one keeps the hand-offs, which cost little beside its copy, and this thread free to
        // read the client's next request meanwhile.
        boolean alone = length <= INLINE_READ
            && inFlight.availablePermits() == settings.maxInFlightPerConnection() - 1;
        Thread reader = Thread.currentThread();
        CompletionStage<ByteBuffer> read;
        try {
          read = alone ? CallerRuns.call(() -> device.readBuffer(offset, (int) length))
              : device.readBuffer(offset, (int) length);
        } catch (RuntimeException e) {
          read = CompletableFuture.failedFuture(e);
        }
        read.whenComplete((data, failure) -> {
          if (failure == null) {
            ByteBuffer header = structured ? NbdReplies.offsetData(handle, offset, data.remaining())
                : NbdReplies.simple(handle, 0);
            Reply r = new Reply(header, data, () -> {
              device.release(data);
              budget.release(length);
            });
            if (!(alone && Thread.currentThread() == reader && writeNow(r))) queue(r);
          } else {
            budget.release(length);
            fail(handle, type, failure, true);
          }
        });
      }
      case CMD_WRITE -> {
        if (device.readOnly()) {
          skipPayload(length);
          reply(type, handle, EPERM);
          return;
        }
        if (length > settings.maxPayload()) {
          skipPayload(length);
          reply(type, handle, EINVAL);
          return;
        }
        // The payload is read in pieces of at most CHUNK bytes, each reserved as it starts to
        // arrive: a client that sends a header (and a little) and holds has at most one piece
        // reserved, and only until the stall time-out closes it.
        List<Piece> pieces = new ArrayList<>();
        payloadComing(length);
        try {
          for (long got = 0; got < length; ) {
            int n = (int) Math.min(CHUNK, length - got);
            in.awaitData();
            payloadDeadline = 0; // waiting for room is the server's delay, not the client's
            boolean room = reserve(n);
            progress(System.nanoTime());
            if (!room) {
              releasePieces(pieces);
              skipPayload(length - got);
              reply(type, handle, ENOMEM);
              return;
            }
            // Large pieces go to a pooled direct buffer: one kernel copy in, one out.
            ByteBuffer pooled = n > 64 * 1024 ? buffers.acquire(n) : null;
            ByteBuffer piece = pooled != null ? pooled : ByteBuffer.allocate(n);
            pieces.add(new Piece(piece, n));
            readPayload(piece);
            piece.flip();
            got += n;
          }
        } catch (IOException | RuntimeException e) {
          releasePieces(pieces);
          throw e;
        } finally {
          payloadDeadline = 0;
        }
        if ((flags & ~knownFlags) != 0) {
          releasePieces(pieces);
          reply(type, handle, EINVAL);
        } else if (!Ranges.fits(offset, length, size)) {
          releasePieces(pieces);
          reply(type, handle, ENOSPC);
        } else {
          CompletableFuture<?>[] writes = new CompletableFuture<?>[pieces.size()];
          for (int k = 0; k < writes.length; k++) {
            Piece piece = pieces.get(k);
            CompletionStage<Void> w;
            try {
              w = device.write(offset + (long) k * CHUNK, piece.buffer(), fua);
            } catch (RuntimeException e) {
              w = CompletableFuture.failedFuture(e);
            }
            // Each piece is free again once its write is done (every segment of it answered).
            writes[k] = w.toCompletableFuture().whenComplete((v, t) -> release(piece));
          }
          complete(handle, type, CompletableFuture.allOf(writes), false);
        }
      }
      case CMD_WRITE_ZEROES, CMD_TRIM -> {
        if (device.readOnly()) {
          reply(type, handle, EPERM);
        } else if ((flags & ~knownFlags) != 0) {
          reply(type, handle, EINVAL);
        } else if (!Ranges.fits(offset, length, size)) {
          reply(type, handle, ENOSPC);
        } else if ((flags & CMD_FLAG_FAST_ZERO) != 0 && (!device.zeroIsFast() || (flags & CMD_FLAG_NO_HOLE) != 0)) {
          // The client would rather write zeroes itself (or skip them) than wait for slow ones.
          reply(type, handle, ENOTSUP);
        } else if ((flags & CMD_FLAG_NO_HOLE) != 0) {
          // The client wants the range allocated: zeros written as data, not holes punched.
          complete(handle, type, writeZeroBytes(device, offset, length, fua), false);
        } else {
          complete(handle, type, device.writeZeroes(offset, length, fua), false);
        }
      }
      case CMD_CACHE -> reply(type, handle, flags != 0 ? EINVAL : Ranges.fits(offset, length, size) ? 0 : EINVAL);
      case CMD_BLOCK_STATUS -> {
        if (!allocation || (flags & ~knownFlags) != 0 || length == 0 || !Ranges.fits(offset, length, size)) {
          reply(type, handle, EINVAL);
          return;
        }
        // At most MAX_STATUS_BYTES are looked at: the reply may end before the request does, and
        // the client asks again from there.
        long span = Math.min(length, MAX_STATUS_BYTES);
        CompletionStage<BlockDevice.Allocation> status;
        try {
          status = device.allocated(offset, span);
        } catch (RuntimeException e) {
          status = CompletableFuture.failedFuture(e);
        }
        boolean one = (flags & CMD_FLAG_REQ_ONE) != 0;
        status.whenComplete((found, failure) -> {
          if (failure == null) {
            // The device may have looked at less (a striped volume answers for a few pieces).
            long looked = Math.max(1, Math.min(span, found.end() - offset));
            queue(new Reply(NbdReplies.blockStatus(handle, ALLOCATION_CONTEXT_ID, offset, looked, found.data(), one,
                MAX_EXTENTS), null, null));
          } else {
            fail(handle, type, failure, true);
          }
        });
      }
      case CMD_FLUSH -> {
        if (flags != 0 || offset != 0 || length != 0) {
          reply(type, handle, EINVAL);
        } else {
          complete(handle, type, device.flush(), false);
        }
      }
      default -> {
        log.debug("NBD client {}: unsupported {}", peer, commandName(type));
        reply(type, handle, EINVAL);
      }
    }
  }

  private static final ByteBuffer ZERO_CHUNK = ByteBuffer.allocate(CHUNK).asReadOnlyBuffer();

  /** Zeros as data, a chunk after the other (no memory of the client's is needed for them). */
  private static CompletionStage<Void> writeZeroBytes(BlockDevice device, long offset, long length, boolean fua) {
    CompletableFuture<Void> done = CompletableFuture.completedFuture(null);
    for (long at = 0; at < length; at += CHUNK) {
      long o = offset + at;
      int n = (int) Math.min(CHUNK, length - at);
      done = done.thenCompose(x -> device.write(o, ZERO_CHUNK.duplicate().limit(n), fua).toCompletableFuture());
    }
    return done;
  }

  private void complete(long handle, int type, CompletionStage<?> stage, boolean isRead) {
    stage.whenComplete((result, failure) -> {
      if (failure == null) reply(type, handle, 0);
      else fail(handle, type, failure, isRead);
    });
  }

  private void fail(long handle, int type, Throwable failure, boolean isRead) {
    Throwable t = BlockDeviceException.cause(failure);
    int errno = errno(t, isRead);
    log.warn("NBD client {}: {} failed ({}): {}", peer, commandName(type), errno, t.getMessage());
    reply(type, handle, errno);
  }

  static int errno(Throwable t, boolean isRead) {
    if (t instanceof BlockDeviceException e) {
      IoError err = e.error();
      return switch (err) {
        case OUT_OF_RANGE -> isRead ? EINVAL : ENOSPC;
        case INVALID -> EINVAL;
        case NO_SUCH_VOLUME -> ESHUTDOWN;
        case READ_ONLY -> EPERM;
        default -> EIO;
      };
    }
    return EIO;
  }

  /** Queues a simple reply without data; the writer thread sends it. */
  private void reply(int type, long handle, int error) {
    // Structured replies answer READ and BLOCK_STATUS in chunks, errors included; the rest stays simple.
    boolean chunked = structured && (type == CMD_READ || type == CMD_BLOCK_STATUS);
    queue(new Reply(chunked && error != 0 ? NbdReplies.error(handle, error, "") : NbdReplies.simple(handle, error),
        null, null));
  }

  /** Reads at most this large are served on the reader's thread when alone in flight. */
  static final long INLINE_READ = 64 * 1024;

  /** Descriptors at most in one block status reply (a client asks again from where it ends). */
  static final int MAX_EXTENTS = 4096;
  /** Bytes at most one block status request looks at (the same). */
  static final long MAX_STATUS_BYTES = 256L << 20;

  private void writeReplies() {
    List<Reply> batch = new ArrayList<>();
    List<ByteBuffer> out = new ArrayList<>();
    try {
      while (true) {
        Reply first = replies.take();
        if (first == POISON) return;
        batch.add(first);
        replies.drainTo(batch, 63);
        boolean stop = batch.remove(POISON);
        long total = 0;
        for (Reply r : batch) {
          out.add(r.header());
          total += r.header().remaining();
          if (r.data() != null) {
            out.add(r.data());
            total += r.data().remaining();
          }
        }
        writeAll(out.toArray(new ByteBuffer[0]), total);
        for (Reply r : batch) {
          if (r.written() != null) r.written().run();
        }
        inFlight.release(batch.size());
        batch.clear();
        out.clear();
        if (stop) return;
      }
    } catch (IOException e) {
      if (!closed) log.debug("NBD client {}: write failed: {}", peer, e.toString());
      close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      // Whatever is left will never be written: free it, and let a draining reader go.
      releaseUnsent();
      for (Reply r : batch) {
        if (r.written() != null) r.written().run();
      }
      inFlight.release(settings.maxInFlightPerConnection());
    }
  }
}
