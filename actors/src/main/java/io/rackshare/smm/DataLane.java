package io.rackshare.smm;

import io.rackshare.io.ChannelReader;
import io.rackshare.io.DirectBufferPool;
import io.rackshare.map.BladeId;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bulk data lane of the OOB channel: plain TCP between SMM handlers for block payloads, beside
 * Artery, which keeps the control messages. Pekko Artery moved 1 MiB messages at about 100 MB/s
 * between two JVMs here and drops messages beyond its send queue; the lane streams frames with
 * back-pressure (bounded windows) and no extra copies.
 *
 * <p>The SMM handler owns it: it binds the lane beside its Artery address, advertises the port in
 * its greeting, and tells the lane where peers are and when they leave. Frames are opaque here
 * (a type, a header and a payload); the lane correlates requests and replies, answers every
 * request exactly once (the reply, or a {@link LaneException} for time-out, overload or a peer
 * gone), and bounds the requests in flight per target.
 *
 * <p>Its parts, one file each: this class keeps the address book (where each peer's lane
 * listens, its key, who left) and the requester side (a {@code Peer} per target: its connection,
 * a {@link FlowWindow} per {@link Tier}, the replies' reader and the deadline sweep); {@link
 * LaneServer} is the target side; {@link LaneFrames} the frame codec; {@link LaneConnection} one
 * connection's streams (plain or TLS); {@link FrameWriter} the one writer of each connection;
 * {@link LaneCredential} the proof a client gives before it is served.
 *
 * <p>Wire format, big-endian: the server sends a nonce; the client answers {@code long MAGIC, int
 * rack, int chassis, int slot} (who is asking) and its proof; then frames ({@link LaneFrames}).
 *
 * <p>Threads: requests are sent from any thread without blocking it (the window queues, the
 * writer writes); one reader thread per connection ({@code data-lane-from-<slot>}) completes the
 * requests' futures, and what runs on in those completions must not block; one sweeper ({@code
 * data-lane-timeouts}) fails requests past their deadline.
 */
public final class DataLane implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(DataLane.class);
  static final long MAGIC = 0x5253484c414e4531L; // "RSHLANE1"
  /** Reserved frame type: the target failed to handle the request; the header is the reason. */
  public static final byte TYPE_LANE_ERROR = 0;
  /** Reserved frame type: the target had no room for the request now (overload, not a failure); the header says why. */
  public static final byte TYPE_LANE_OVERLOADED = -1;

  /**
   * A request or reply on the lane. {@code payload} may be empty; a frame sent to a peer may
   * instead carry a {@link Transfer}, written straight from its source to the socket.
   */
  public record Frame(byte type, ByteBuffer header, ByteBuffer payload, Transfer transfer) {
    public Frame(byte type, ByteBuffer header, ByteBuffer payload) {
      this(type, header, payload, null);
    }

    long payloadSize() {
      return transfer != null ? transfer.size() : payload.remaining();
    }
  }

  /** A payload written directly to the socket (e.g. a file region with sendfile). */
  public interface Transfer {
    long size();

    /** Writes exactly {@link #size()} bytes to {@code channel}. */
    void writeTo(WritableByteChannel channel) throws IOException;
  }

  /**
   * Serves incoming requests (the target side). A request from a peer may carry its payload in a
   * buffer the lane reuses for the next request: it is valid only until {@code handle} returns,
   * so a handler that needs it later copies it.
   */
  public interface Handler {
    CompletionStage<Frame> handle(BladeId from, Frame request);
  }

  /**
   * What a request's answer may wait on. Each tier has its own window to each target, so that
   * requests that wait on others never take the room of those they wait on: a window full of
   * stripe requests, whose coordinators write the members over the same lanes, cannot starve the
   * device requests they wait for (StripeDeadlockStressTest).
   */
  public enum Tier {
    /** Served by the target's own devices: waits on no other request. */
    DEVICE,
    /** A stripe's coordinator: waits on device requests. */
    COORDINATED,
    /** The manager's blade routes it (manager-proxy): waits on coordinated and device requests. */
    PROXIED
  }

  /** A request that got no reply from its target. */
  public static final class LaneException extends RuntimeException {
    private final SmmHandler.Failure failure;

    public LaneException(SmmHandler.Failure failure, String message) {
      super(message, null, false, false);
      this.failure = failure;
    }

    public SmmHandler.Failure failure() {
      return failure;
    }
  }

  private final BladeId self;
  private final OobSettings settings;
  private final ServerSocketChannel server;
  /** The lane's Unix domain socket for blades of this host, or null. */
  private final ServerSocketChannel unixServer;
  private final java.nio.file.Path unixPath;
  private final ScheduledExecutorService sweeper;
  private final Map<BladeId, java.net.SocketAddress> addresses = new ConcurrentHashMap<>();
  /** Each peer's lane key, from its greeting (over the OOB channel, under mutual TLS). */
  private final Map<BladeId, byte[]> keys = new ConcurrentHashMap<>();
  /**
   * This lane's key, new at every start: a client proves it knows it (an HMAC of the server's
   * nonce and both blades' ids) before anything is served. Only blades get it, in the SMM
   * handler's greeting.
   */
  private final byte[] key = LaneCredential.newKey();
  /** TLS for TCP connections (mutual, the cluster's CA), or null: plain TCP. */
  private final LaneTls tls;
  private final Map<BladeId, Peer> peers = new ConcurrentHashMap<>();
  /** Requests for blades whose lane address is not known yet; guarded by itself. */
  private final Map<BladeId, List<Waiting>> waiting = new HashMap<>();
  /** Blades that left the cluster (and why): their requests fail at once until they greet again. */
  private final Map<BladeId, String> gone = new HashMap<>();
  /** Large reply payloads land in these; {@link #release} gives them back. */
  private final DirectBufferPool buffers = new DirectBufferPool(1 << 20, 64);
  /** Writes frames for threads that must not block in a socket write ({@link FrameWriter}). */
  private final java.util.concurrent.ExecutorService writers =
      java.util.concurrent.Executors.newCachedThreadPool(daemon("data-lane-writer"));
  private volatile Handler handler;
  private volatile boolean closed;
  /** The target side: accepts, admits and serves connections. */
  private final LaneServer target;

  private DataLane(BladeId self, OobSettings settings, ServerSocketChannel server, ServerSocketChannel unixServer,
      java.nio.file.Path unixPath, LaneTls tls) {
    this.self = self;
    this.tls = tls;
    this.settings = settings;
    this.server = server;
    this.unixServer = unixServer;
    this.unixPath = unixPath;
    this.sweeper = Executors.newSingleThreadScheduledExecutor(daemon("data-lane-timeouts"));
    long tick = settings.tickInterval().toMillis();
    sweeper.scheduleWithFixedDelay(this::sweep, tick, tick, TimeUnit.MILLISECONDS);
    this.target = new LaneServer(self, key, tls, new io.rackshare.io.MemoryBudget(settings.dataLaneMemory()),
        () -> handler, sweeper, writers);
    target.listen(server, "data-lane-accept");
    if (unixServer != null) target.listen(unixServer, "data-lane-accept-unix");
  }

  /**
   * Binds the lane on {@code hostname:port} (0 = any free port) and starts accepting; with {@code
   * rackshare.oob.data-lane-unix}, also on a Unix domain socket that blades of the same host use
   * instead (no TCP/IP stack between them: about a third less CPU per byte on loopback).
   */
  public static DataLane start(BladeId self, String hostname, int port, OobSettings settings)
      throws IOException {
    return start(self, hostname, port, settings, null);
  }

  /**
   * As above; with {@code tls} (the blade's certificate, trusting the cluster's CA; asked for each
   * new connection, so a rotated certificate is used from then on) and {@code
   * rackshare.oob.data-lane-tls}, TCP connections run mutual TLS.
   */
  public static DataLane start(BladeId self, String hostname, int port, OobSettings settings,
      java.util.function.Supplier<io.rackshare.io.TlsContexts.Material> tls) throws IOException {
    ServerSocketChannel s = ServerSocketChannel.open();
    s.bind(new InetSocketAddress(hostname, port), 64);
    ServerSocketChannel u = null;
    java.nio.file.Path path = null;
    if (settings.dataLaneUnix()) {
      java.nio.file.Path tmp = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"));
      String prefix = "rackshare-lane-" + self.rack() + "-" + self.chassis() + "-" + self.slot() + "-";
      removeStaleSockets(tmp, prefix);
      // The socket lives in a directory only this blade's user may enter (made so, not changed
      // after), and each connection's peer must be that user too (acceptUnix).
      java.nio.file.Path own = java.nio.file.Files.createDirectory(tmp.resolve(prefix + ProcessHandle.current().pid()
          + "-" + Long.toHexString(System.nanoTime() & 0xffffff)), java.nio.file.attribute.PosixFilePermissions
          .asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
      own.toFile().deleteOnExit();
      path = own.resolve("lane.sock");
      u = ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX);
      u.bind(java.net.UnixDomainSocketAddress.of(path), 64);
      path.toFile().deleteOnExit();
    }
    LaneTls tcpTls = settings.dataLaneTls() && tls != null ? new LaneTls(tls) : null;
    DataLane lane = new DataLane(self, settings, s, u, path, tcpTls);
    log.info("data lane of {} on {}{}{}", self, s.getLocalAddress(), tcpTls != null ? " (TLS, " + tcpTls.provider() + ")" : "",
        path == null ? "" : " and " + path);
    return lane;
  }

  /** Socket directories this blade left behind when its process was killed (their process is gone). */
  private static void removeStaleSockets(java.nio.file.Path dir, String prefix) {
    try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.list(dir)) {
      files.filter(f -> f.getFileName().toString().startsWith(prefix))
          .forEach(f -> {
            String rest = f.getFileName().toString().substring(prefix.length());
            try {
              long pid = Long.parseLong(rest.substring(0, rest.indexOf('-')));
              if (ProcessHandle.of(pid).isEmpty()) {
                java.nio.file.Files.deleteIfExists(f.resolve("lane.sock"));
                java.nio.file.Files.deleteIfExists(f);
              }
            } catch (RuntimeException | IOException ignored) {
              // not one of ours, or gone already
            }
          });
    } catch (IOException ignored) {
      // nothing to clean
    }
  }

  /** The Unix domain socket blades of this host may use, or null. */
  public String unixPath() {
    return unixPath == null ? null : unixPath.toString();
  }

  /** Identifies this host's running kernel: blades with the same id share a host. */
  public static String hostId() {
    return HOST_ID;
  }

  private static final String HOST_ID = readHostId();

  /**
   * The kernel's boot id and this process's network namespace: blades share a Unix-socket lane
   * only within one network stack. Across namespaces (containers, the partition tests' blades) they
   * talk TCP, so that a cut link cuts their lane too.
   */
  private static String readHostId() {
    try {
      String boot = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/random/boot_id")).strip();
      String net = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/ns/net")).toString();
      return boot + "/" + net;
    } catch (IOException | RuntimeException e) {
      return ""; // unknown: never treat another blade as local
    }
  }

  /** This lane's key, which the SMM handler gives blades in its greeting. */
  public byte[] key() {
    return key.clone();
  }

  /** One target's window of one tier, as {@link #load} saw it. */
  public record LaneLoad(BladeId target, Tier tier, int inFlight, int queued) {}

  /** Every open peer's requests in flight and queued, per tier (for metrics). */
  public java.util.List<LaneLoad> load() {
    java.util.List<LaneLoad> out = new java.util.ArrayList<>();
    for (Peer p : peers.values()) {
      for (Tier t : Tier.values()) {
        FlowWindow<Outgoing> w = p.windows.get(t.ordinal());
        out.add(new LaneLoad(p.target, t, w.inFlight(), w.queued()));
      }
    }
    out.sort(java.util.Comparator.comparing((LaneLoad l) -> l.target().toString()).thenComparing(LaneLoad::tier));
    return out;
  }

  /** The TLS engine of this lane's TCP connections: "BoringSSL", "JDK", or "none" without TLS. */
  public String tlsProvider() {
    return tls == null ? "none" : tls.provider();
  }

  public int port() {
    try {
      return ((InetSocketAddress) server.getLocalAddress()).getPort();
    } catch (IOException e) {
      return 0;
    }
  }

  /**
   * Large payloads of replies come in pooled direct buffers: whoever consumes a reply's payload
   * gives it back here when done with it (heap buffers are ignored).
   */
  public void release(ByteBuffer payload) {
    buffers.release(payload);
  }

  /** The pool replies use, for callers that produce payloads of the same kind. */
  public DirectBufferPool buffers() {
    return buffers;
  }

  /** Sets the handler of incoming requests. */
  public void serve(Handler h) {
    this.handler = h;
  }

  /** The SMM handler learned (from its greeting) where {@code blade}'s lane listens. */
  public void peerAt(BladeId blade, String host, int port, byte[] key) {
    peerAt(blade, new InetSocketAddress(host, port), key);
  }

  /** As above, for a blade of this host whose lane also listens on Unix socket {@code path}. */
  public void peerAtUnix(BladeId blade, String path, byte[] key) {
    peerAt(blade, java.net.UnixDomainSocketAddress.of(path), key);
  }

  private void peerAt(BladeId blade, java.net.SocketAddress a, byte[] key) {
    List<Waiting> ready;
    synchronized (waiting) {
      gone.remove(blade);
      byte[] oldKey = keys.put(blade, key.clone());
      java.net.SocketAddress old = addresses.put(blade, a);
      // A new address or a new lane key (a lane makes its key at start): a new incarnation.
      if (old != null && (!old.equals(a) || !java.util.Arrays.equals(oldKey, key))) {
        disconnect(blade, old.equals(a) ? "has a new lane key" : "moved to " + a);
        suspectedSince.remove(blade); // what was suspected was its dead self
      }
      ready = waiting.remove(blade);
    }
    if (ready != null) {
      for (Waiting w : ready) {
        request(blade, w.request(), w.timeout(), w.tier()).whenComplete((r, t) -> {
          if (t == null) w.future().complete(r);
          else w.future().completeExceptionally(t);
        });
      }
    }
  }

  /** {@code blade} left: its requests in flight fail at once, and no new ones are sent. */
  public void peerGone(BladeId blade, String why) {
    suspectedSince.remove(blade);
    synchronized (waiting) {
      addresses.remove(blade);
      gone.put(blade, blade + " " + why);
    }
    disconnect(blade, why);
  }

  private void disconnect(BladeId blade, String why) {
    Peer p = peers.remove(blade);
    if (p != null) {
      p.released = true;
      p.fail(SmmHandler.Failure.UNREACHABLE, blade + " " + why);
    }
  }

  /**
   * Tells {@code listener} (on a lane thread) when a blade's host refuses or closes its lane
   * connection: evidence, seconds before the failure detector's suspicion, that its process is
   * gone. Only connections this side did not close count.
   */
  public void onGone(java.util.function.Consumer<BladeId> listener) {
    goneListener = listener;
  }

  private volatile java.util.function.Consumer<BladeId> goneListener;

  /**
   * Keeps a lane connection to {@code blade} open even without traffic (the manager's blade is
   * watched so), so that its death shows at once as the connection's end ({@link #onGone}).
   */
  public void watch(BladeId blade) {
    if (blade.equals(self)) return;
    Thread t = new Thread(() -> {
      java.net.SocketAddress a;
      synchronized (waiting) {
        a = addresses.get(blade);
      }
      if (a == null) return;
      Peer p = peers.compute(blade, (k, old) -> old != null && !old.dead ? old : new Peer(k, a));
      try {
        p.open();
      } catch (IOException e) {
        p.fail(classify(e), "data lane to " + blade + " at " + a + ": " + e);
      }
    }, "data-lane-watch-" + blade.slot());
    t.setDaemon(true);
    t.start();
  }

  /** Sends a device request; the stage completes with the reply, or a {@link LaneException}. */
  public CompletableFuture<Frame> request(BladeId target, Frame request) {
    return request(target, request, settings.requestTimeout());
  }

  /** As below, within the request time-out. */
  public CompletableFuture<Frame> request(BladeId target, Frame request, Tier tier) {
    return request(target, request, settings.requestTimeout(), tier);
  }

  /** As below, a device request. */
  public CompletableFuture<Frame> request(BladeId target, Frame request, java.time.Duration timeout) {
    return request(target, request, timeout, Tier.DEVICE);
  }

  /**
   * As above, answered within {@code timeout} (a stripe's coordinator, which waits on other
   * blades itself, gets longer than {@code request-timeout}) unless the target is suspected.
   */
  public CompletableFuture<Frame> request(BladeId target, Frame request, java.time.Duration timeout, Tier tier) {
    if (target.equals(self)) {
      Handler h = handler;
      if (h == null) return failed(SmmHandler.Failure.NO_HANDLER, "no lane handler on " + self);
      return h.handle(self, request).toCompletableFuture();
    }
    Peer p = peers.get(target);
    if (p == null || p.dead) {
      java.net.SocketAddress a;
      synchronized (waiting) {
        a = addresses.get(target);
        String left = gone.get(target);
        if (a == null && left != null) return failed(SmmHandler.Failure.UNREACHABLE, left);
        if (a == null) {
          // Not greeted yet (a blade can hold the map before every greeting is done): wait for
          // its address, up to the request time-out.
          Waiting w = new Waiting(request, new CompletableFuture<>(),
              System.nanoTime() + settings.requestTimeout().toNanos(), timeout, tier);
          waiting.computeIfAbsent(target, k -> new ArrayList<>()).add(w);
          return w.future();
        }
      }
      p = peers.compute(target, (k, old) -> old != null && !old.dead ? old : new Peer(k, a));
    }
    return p.send(request, timeout, tier);
  }

  private record Waiting(Frame request, CompletableFuture<Frame> future, long deadline, java.time.Duration timeout,
      Tier tier) {}

  /**
   * The failure detector suspects {@code blade} (or trusts it again). Its requests in flight, and
   * those sent while it stays suspected, fail {@link #SUSPECT_GRACE} after the suspicion: a blade
   * that answers no heartbeat for that long is no use to a client waiting on it, whatever the
   * request's own time-out.
   */
  public void suspect(BladeId blade, boolean suspected) {
    if (suspected) suspectedSince.putIfAbsent(blade, System.nanoTime());
    else suspectedSince.remove(blade);
  }

  /** How long after a suspicion a suspected blade's requests fail. */
  static final java.time.Duration SUSPECT_GRACE = java.time.Duration.ofSeconds(1);

  private final Map<BladeId, Long> suspectedSince = new ConcurrentHashMap<>();

  private static <T> CompletableFuture<T> failed(SmmHandler.Failure f, String message) {
    return CompletableFuture.failedFuture(new LaneException(f, message));
  }

  /**
   * What a connection's failure says about its target: a refusal, a reset or an orderly close come
   * from the target's kernel, for a process that no longer listens ({@code UNREACHABLE}: gone);
   * anything else (no route, a time-out) is what a cut link looks like too ({@code NO_ROUTE}).
   */
  static SmmHandler.Failure classify(IOException e) {
    if (e instanceof java.io.EOFException || e instanceof java.nio.file.NoSuchFileException) {
      return SmmHandler.Failure.UNREACHABLE;
    }
    String m = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
    if (m.contains("refused") || m.contains("reset") || m.contains("broken pipe") || m.contains("no such file")) {
      return SmmHandler.Failure.UNREACHABLE;
    }
    return SmmHandler.Failure.NO_ROUTE;
  }

  // ---- requester side: one connection per target ----------------------------------------------

  /** A request sent, holding a place in {@code window} until it is answered or given up. */
  private record Pending(CompletableFuture<Frame> future, long deadline, java.time.Duration timeout,
      FlowWindow<Outgoing> window) {}

  /** A request waiting for room in its target's window. */
  private record Outgoing(Frame request, java.time.Duration timeout) {}

  private final class Peer {
    final BladeId target;
    final java.net.SocketAddress address;
    /**
     * Room for requests in flight, per {@link Tier}. Nobody waits for it: a request that finds no
     * room is queued and sent when a reply frees a place, so no thread (least of all a lane
     * reader) ever blocks on a window; and a request never waits for room held by requests that
     * wait on it, so blades that coordinate each other's stripes cannot deadlock.
     */
    final List<FlowWindow<Outgoing>> windows = java.util.stream.Stream.of(Tier.values())
        .map(t -> new FlowWindow<Outgoing>(settings.maxInFlightPerTarget(), settings.maxQueuedPerTarget())).toList();
    final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    final AtomicLong ids = new AtomicLong();
    /** Writes this connection's requests, in order, never on a thread that must not block. */
    final FrameWriter out;
    /** Set once connected (under this Peer's lock); closed by {@link #fail} without it. */
    volatile LaneConnection connection;
    volatile boolean dead;
    /** What ended this connection first (a later close by this side says nothing new). */
    volatile SmmHandler.Failure firstFailure;
    /** Closed by this side (the blade left, moved): its end says nothing about the target. */
    volatile boolean released;

    /** Opens the connection now, if it is not open, without sending anything. */
    synchronized void open() throws IOException {
      if (!dead && connection == null) connect();
    }

    Peer(BladeId target, java.net.SocketAddress address) {
      this.target = target;
      this.address = address;
      // A request finds itself in pending when it is written: more than one is a pipeline.
      this.out = new FrameWriter(FrameWriter.Sink.of(this::write, this::flush),
          e -> fail(classify(e), "data lane to " + target + " at " + address + ": " + e), writers, null,
          () -> pending.size() > 1);
    }

    CompletableFuture<Frame> send(Frame request, java.time.Duration timeout, Tier tier) {
      CompletableFuture<Frame> f = new CompletableFuture<>();
      FlowWindow<Outgoing> window = windows.get(tier.ordinal());
      if (window.tryAcquire()) {
        transmit(request, f, timeout, window);
        return f;
      }
      if (!window.enqueue(new FlowWindow.Queued<>(new Outgoing(request, timeout), f,
          System.nanoTime() + settings.requestTimeout().toNanos()))) {
        return failed(SmmHandler.Failure.OVERLOADED, settings.maxQueuedPerTarget()
            + " requests already wait for room in the window to " + target);
      }
      pump(window); // a reply may have freed a place meanwhile
      return f;
    }

    /** Sends {@code window}'s queued requests while there is room. */
    @SuppressWarnings("unchecked")
    void pump(FlowWindow<Outgoing> window) {
      window.pump(q -> transmit(q.request().request(), (CompletableFuture<Frame>) q.future(), q.request().timeout(),
          window));
    }

    /** The request, into the connection's writer (never blocks a thread that must not block). */
    private void transmit(Frame request, CompletableFuture<Frame> f, java.time.Duration timeout,
        FlowWindow<Outgoing> window) {
      long id = ids.incrementAndGet();
      pending.put(id, new Pending(f, System.nanoTime() + timeout.toNanos(), timeout, window));
      out.submit(id, request, f);
    }

    /** Writes a request, connecting first if need be; on {@link #out}'s thread; {@link #flush} sends it. */
    private synchronized void write(long id, Frame r) throws IOException {
      if (dead) throw new ClosedChannelException();
      if (connection == null) connect();
      LaneFrames.write(connection, r.type(), id, r, false);
    }

    /** Sends the requests {@link #write} left in the connection's buffer; on {@link #out}'s thread. */
    private synchronized void flush() throws IOException {
      if (dead) throw new ClosedChannelException();
      if (connection != null) connection.flush();
    }

    private void connect() throws IOException {
      SocketChannel ch;
      if (address instanceof InetSocketAddress inet) {
        // Bounded: a cut link must not hold the sending thread for the kernel's minutes of SYNs.
        ch = SocketChannel.open();
        try {
          ch.socket().connect(inet, (int) CONNECT_TIMEOUT.toMillis());
        } catch (IOException e) {
          ch.close();
          throw e;
        }
      } else {
        ch = SocketChannel.open(address);
      }
      LaneConnection.tune(ch, false);
      byte[] targetKey = keys.get(target);
      if (targetKey == null) {
        ch.close();
        throw new IOException("no lane key known for " + target);
      }
      // The TLS handshake (TCP) and the target's nonce first, within the connect time-out (a
      // host that accepts and says nothing must not hold this thread).
      ByteBuffer nonce = ByteBuffer.allocate(LaneCredential.NONCE);
      var guard = sweeper.schedule(() -> LaneConnection.closeQuietly(ch), CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      LaneConnection c;
      try {
        c = address instanceof InetSocketAddress inet && tls != null
            ? LaneConnection.client(ch, tls, inet) : LaneConnection.plain(ch);
        while (nonce.hasRemaining()) {
          if (c.in.read(nonce) < 0) throw new EOFException("closed before its greeting");
        }
      } catch (IOException e) {
        LaneConnection.closeQuietly(ch);
        if (guard.isDone()) {
          throw new java.net.SocketTimeoutException("no lane greeting from " + target + " within " + CONNECT_TIMEOUT);
        }
        throw e;
      } finally {
        guard.cancel(false);
      }
      byte[] mac = LaneCredential.mac(targetKey, nonce.array(), self, target);
      ByteBuffer hello = ByteBuffer.allocate(20 + mac.length).putLong(MAGIC)
          .putInt(self.rack()).putInt(self.chassis()).putInt(self.slot()).put(mac).flip();
      c.write(new ByteBuffer[] {hello}, null);
      connection = c;
      if (dead) {
        // Failed while connecting: fail() may not have seen this connection.
        c.close();
        throw new ClosedChannelException();
      }
      log.info("data lane to {} over {} {}", target, address instanceof InetSocketAddress
          ? c.encrypted() ? "tcp+tls" : "tcp" : "unix", address);
      Thread reader = daemon("data-lane-from-" + target.slot()).newThread(() -> readReplies(c));
      reader.start();
    }

    private void readReplies(LaneConnection c) {
      SmmHandler.Failure failure = SmmHandler.Failure.UNREACHABLE;
      try {
        ChannelReader in = new ChannelReader(c.in, 64 * 1024);
        while (!dead) {
          int length = in.readInt();
          byte type = in.readByte();
          long id = in.readLong();
          Frame reply = LaneFrames.readBody(in, length, type, null, buffers);
          Pending p = pending.remove(id);
          if (p == null) {
            buffers.release(reply.payload()); // timed out already: dropped
            continue;
          }
          p.window().release();
          pump(p.window());
          if (type == TYPE_LANE_ERROR || type == TYPE_LANE_OVERLOADED) {
            buffers.release(reply.payload());
            p.future().completeExceptionally(new LaneException(type == TYPE_LANE_ERROR ? SmmHandler.Failure.NO_HANDLER
                : SmmHandler.Failure.OVERLOADED, target + ": " + StandardCharsets.UTF_8.decode(reply.header())));
          } else {
            p.future().complete(reply);
          }
        }
      } catch (IOException e) {
        if (!dead && !closed) {
          log.info("data lane to {} closed: {}", target, e.toString());
          failure = classify(e);
        } else if (firstFailure != null) {
          // Closed here, after a failure: that failure says what became of the target.
          failure = firstFailure;
        }
      }
      peers.remove(target, this);
      fail(failure, "data lane to " + target + " closed");
    }

    void fail(SmmHandler.Failure failure, String why) {
      boolean first = firstFailure == null;
      if (first) firstFailure = failure;
      // The target's host refused or closed the connection: its process is gone. Said once, and
      // only when this side did not close it (a blade that left, a lane shutting down).
      if (first && !dead && !closed && !released && failure == SmmHandler.Failure.UNREACHABLE) {
        java.util.function.Consumer<BladeId> l = goneListener;
        if (l != null) l.accept(target);
      }
      dead = true;
      // Not under the lock: a writer stuck in a write to a peer that stopped reading holds it, and
      // closing the connection is what frees that writer.
      LaneConnection c = connection;
      if (c != null) c.close();
      for (Iterator<Map.Entry<Long, Pending>> it = pending.entrySet().iterator(); it.hasNext(); ) {
        Pending p = it.next().getValue();
        it.remove();
        p.window().release();
        p.future().completeExceptionally(new LaneException(failure, why));
      }
      for (FlowWindow<Outgoing> w : windows) {
        w.drain(q -> q.future().completeExceptionally(new LaneException(failure, why)));
      }
    }

    void sweep(long now) {
      // Queued requests first: one that waited its whole time for room is overload, even if a
      // request in flight times out in the same sweep and makes room.
      for (FlowWindow<Outgoing> w : windows) {
        w.expire(now, q -> q.future().completeExceptionally(new LaneException(SmmHandler.Failure.OVERLOADED,
            "no room in the window to " + target + " within " + settings.requestTimeout())));
      }
      Long suspected = suspectedSince.get(target);
      boolean given = suspected != null && now - suspected - SUSPECT_GRACE.toNanos() >= 0;
      for (Iterator<Map.Entry<Long, Pending>> it = pending.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<Long, Pending> e = it.next();
        if ((given || now - e.getValue().deadline() >= 0) && pending.remove(e.getKey(), e.getValue())) {
          e.getValue().window().release();
          e.getValue().future().completeExceptionally(new LaneException(SmmHandler.Failure.TIMEOUT, given
              ? "no answer from " + target + ", which the failure detector suspects"
              : "no answer from " + target + " within " + e.getValue().timeout()));
        }
      }
      windows.forEach(this::pump);
    }
  }

  private void sweep() {
    long now = System.nanoTime();
    peers.values().forEach(p -> p.sweep(now));
    List<Waiting> expired = new ArrayList<>();
    synchronized (waiting) {
      for (Map.Entry<BladeId, List<Waiting>> e : waiting.entrySet()) {
        for (Iterator<Waiting> it = e.getValue().iterator(); it.hasNext(); ) {
          Waiting w = it.next();
          if (now - w.deadline() >= 0) {
            it.remove();
            expired.add(w);
          }
        }
      }
      waiting.values().removeIf(List::isEmpty);
    }
    expired.forEach(w -> w.future().completeExceptionally(new LaneException(
        SmmHandler.Failure.NO_ROUTE, "no data lane known for the target within " + settings.requestTimeout())));
  }

  /** How long a lane connection may take to open before the target counts as out of reach. */
  static final java.time.Duration CONNECT_TIMEOUT = java.time.Duration.ofSeconds(2);

  static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  @Override
  public void close() {
    closed = true;
    target.close();
    if (unixPath != null) {
      try {
        java.nio.file.Files.deleteIfExists(unixPath);
        java.nio.file.Files.deleteIfExists(unixPath.getParent());
      } catch (IOException ignored) {
        // closing anyway
      }
    }
    peers.values().forEach(p -> p.fail(SmmHandler.Failure.UNREACHABLE, "data lane closed"));
    peers.clear();
    sweeper.shutdownNow();
    writers.shutdown();
  }
}
