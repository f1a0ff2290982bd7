package io.rackshare.smm;

import io.rackshare.io.ChannelReader;
import io.rackshare.map.BladeId;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The target side of the data lane: accepts connections (TCP, and a Unix socket for blades of
 * this host), serves nothing before a client proves it holds the lane's key, bounds connections
 * (per host and in all before that proof, per blade after it) and the memory of large request
 * payloads ({@code rackshare.oob.data-lane-memory}), and hands each request to the lane's {@link
 * DataLane.Handler}.
 *
 * <p>Threads: one accept thread per listening socket; one reader per connection ({@code
 * data-lane-in-from-<slot>}) that reads frames and hands them to the handler; it never waits for
 * room, and never writes requests of its own to a socket. Replies go through the connection's
 * {@link FrameWriter}: written by this reader (a page-cache write's reply, at once), by the thread
 * that completes them if it may block (the I/O dispatcher), else by a {@code data-lane-writer}.
 */
final class LaneServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(DataLane.class);

  private final BladeId self;
  private final byte[] key;
  /** TLS for TCP connections (mutual, the cluster's CA), or null: plain TCP. */
  private final LaneTls tls;
  /** Request payloads larger than a connection's reused buffer, of all peers together. */
  private final io.rackshare.io.MemoryBudget payloadBudget;
  private final Supplier<DataLane.Handler> handler;
  private final ScheduledExecutorService sweeper;
  private final Executor writers;
  /** Authenticated connections from each blade now; guarded by itself. */
  private final Map<BladeId, Integer> connectionsFrom = new HashMap<>();
  /** Connections accepted that have not proved their credential yet, by remote host; guarded by itself. */
  private final Map<String, Integer> unauthenticated = new HashMap<>();
  private final Map<SocketChannel, Boolean> accepted = new ConcurrentHashMap<>();
  private final java.util.List<ServerSocketChannel> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile boolean closed;

  LaneServer(BladeId self, byte[] key, LaneTls tls, io.rackshare.io.MemoryBudget payloadBudget,
      Supplier<DataLane.Handler> handler, ScheduledExecutorService sweeper, Executor writers) {
    this.self = self;
    this.key = key;
    this.tls = tls;
    this.payloadBudget = payloadBudget;
    this.handler = handler;
    this.sweeper = sweeper;
    this.writers = writers;
  }

  /** Accepts connections on {@code server} from now on, on a thread named {@code name}. */
  void listen(ServerSocketChannel server, String name) {
    listeners.add(server);
    DataLane.daemon(name).newThread(() -> accept(server)).start();
  }

  private void accept(ServerSocketChannel server) {
    while (!closed) {
      try {
        SocketChannel ch = server.accept();
        String stranger = strangerOnTheSocket(ch);
        if (stranger != null) {
          log.warn("data lane: refused a Unix-socket connection from user {} (only {} may connect)",
              io.rackshare.util.LogText.quote(stranger), OWN_USER);
          LaneConnection.closeQuietly(ch);
          continue;
        }
        String host = host(ch);
        String full = admitUnauthenticated(host);
        if (full != null) {
          log.warn("data lane: refused a connection from {}: {}", host, full);
          LaneConnection.closeQuietly(ch);
          continue;
        }
        LaneConnection.tune(ch, true);
        accepted.put(ch, Boolean.TRUE);
        DataLane.daemon("data-lane-in").newThread(() -> serveConnection(ch, host)).start();
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        if (!closed) log.warn("data lane accept failed: {}", e.toString());
      }
    }
  }

  /** Counts a connection from {@code host} that has yet to prove its credential; why not, if it may not. */
  private String admitUnauthenticated(String host) {
    synchronized (unauthenticated) {
      int all = unauthenticated.values().stream().mapToInt(Integer::intValue).sum();
      int fromHost = unauthenticated.getOrDefault(host, 0);
      if (fromHost >= MAX_UNAUTHENTICATED_PER_HOST) {
        return fromHost + " of its connections have not proved their credential yet";
      }
      if (all >= MAX_UNAUTHENTICATED) return all + " connections have not proved their credential yet";
      unauthenticated.put(host, fromHost + 1);
      return null;
    }
  }

  /** Counts an authenticated connection from {@code blade}; why not, if it has too many. */
  private String admitPeer(BladeId blade) {
    synchronized (connectionsFrom) {
      int n = connectionsFrom.getOrDefault(blade, 0);
      if (n >= MAX_CONNECTIONS_PER_PEER) return blade + " already has " + n + " connections";
      connectionsFrom.put(blade, n + 1);
      return null;
    }
  }

  private void leftPeer(BladeId blade) {
    synchronized (connectionsFrom) {
      connectionsFrom.computeIfPresent(blade, (b, n) -> n <= 1 ? null : n - 1);
    }
  }

  private void authenticatedOrClosed(String host) {
    synchronized (unauthenticated) {
      unauthenticated.computeIfPresent(host, (h, n) -> n <= 1 ? null : n - 1);
    }
  }

  /** This process's user: the only one whose blades may use the Unix-socket lane. */
  private static final String OWN_USER = System.getProperty("user.name");

  /** The user at the other end of a Unix-socket connection if it is not this process's; else null. */
  static String strangerOnTheSocket(SocketChannel ch) {
    try {
      if (!(ch.getLocalAddress() instanceof java.net.UnixDomainSocketAddress)) return null;
      String user = ch.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED).user().getName();
      return user.equals(OWN_USER) ? null : user;
    } catch (IOException | UnsupportedOperationException e) {
      return "(unknown: " + e.getMessage() + ")";
    }
  }

  private static String host(SocketChannel ch) {
    try {
      return ch.getRemoteAddress() instanceof InetSocketAddress a ? a.getAddress().getHostAddress() : "a local client";
    } catch (IOException e) {
      return "a client";
    }
  }

  private void serveConnection(SocketChannel ch, String host) {
    BladeId from = null;
    boolean counted = true;
    boolean admitted = false;
    LaneConnection c = null;
    try {
      // Nothing is served before the client proves it holds this lane's key (over TCP, after a
      // TLS handshake in which it showed a certificate of the cluster's CA), and it must do so
      // within HELLO_TIMEOUT (an idle connection does not keep a thread).
      var guard = sweeper.schedule(() -> LaneConnection.closeQuietly(ch), HELLO_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      byte[] nonce = LaneCredential.nonce();
      byte[] mac = new byte[LaneCredential.MAC];
      ChannelReader in;
      try {
        c = ch.getLocalAddress() instanceof InetSocketAddress && tls != null
            ? LaneConnection.server(ch, tls) : LaneConnection.plain(ch);
        c.write(new ByteBuffer[] {ByteBuffer.wrap(nonce)}, null);
        in = new ChannelReader(c.in, 64 * 1024);
        if (in.readLong() != DataLane.MAGIC) throw new LaneRefused("not a data lane client");
        from = new BladeId(in.readInt(), in.readInt(), in.readInt());
        ByteBuffer m = ByteBuffer.wrap(mac);
        in.readFully(m);
      } catch (javax.net.ssl.SSLException e) {
        throw new LaneRefused("no TLS: " + e.getMessage());
      } catch (IOException e) {
        if (guard.isDone()) throw new LaneRefused("no credential within " + HELLO_TIMEOUT);
        throw e;
      } finally {
        guard.cancel(false);
      }
      if (!LaneCredential.verify(key, nonce, from, self, mac)) {
        throw new LaneRefused("a wrong credential for " + from);
      }
      authenticatedOrClosed(host);
      counted = false;
      String full = admitPeer(from);
      if (full != null) throw new LaneRefused(full);
      admitted = true;
      LaneConnection conn = c;
      BladeId peer = from;
      // Replies are written by this reader or a thread that may block, else by a writer.
      FrameWriter replies = new FrameWriter(FrameWriter.Sink.of(
          (id, out) -> LaneFrames.write(conn, out.type(), id, out, false), conn::flush), e -> {
        log.debug("data lane reply to {} failed: {}", peer, e.toString());
        LaneConnection.closeQuietly(ch);
      }, writers, Thread.currentThread());
      Thread.currentThread().setName("data-lane-in-from-" + from.slot());
      // Request payloads land here, one copy out of the kernel; reused for the next request.
      ByteBuffer payloads = ByteBuffer.allocateDirect(LaneFrames.REUSED_PAYLOAD);
      while (!closed) {
        int length = in.readInt();
        byte type = in.readByte();
        long id = in.readLong();
        // A payload larger than the reused buffer is held on the heap until its request is
        // answered: the memory all peers' such payloads take together is bounded.
        if (length < 13 || length > LaneFrames.MAX_FRAME) throw new IOException("bad frame length " + length);
        long held = length > LaneFrames.REUSED_PAYLOAD ? length : 0;
        // Not waited for: this connection's reader holds up every request behind this one, whose
        // requesters would take the wait for their targets' silence.
        if (held > 0 && !payloadBudget.reserve(held, java.time.Duration.ZERO)) {
          // Overload, not a broken peer: this request is answered so, and the stream goes on.
          in.skip(length - 9L);
          DataLane.Frame out = new DataLane.Frame(DataLane.TYPE_LANE_OVERLOADED, ByteBuffer.wrap(("no room for a request of " + length
              + " bytes (rackshare.oob.data-lane-memory)")
              .getBytes(StandardCharsets.UTF_8)), ByteBuffer.allocate(0));
          replies.submit(id, out, null);
          continue;
        }
        DataLane.Frame request;
        CompletionStage<DataLane.Frame> reply;
        try {
          request = LaneFrames.readBody(in, length, type, payloads, null);
        } catch (IOException | RuntimeException e) {
          payloadBudget.release(held);
          throw e;
        }
        DataLane.Handler h = handler.get();
        try {
          reply = h == null ? CompletableFuture.completedFuture(LaneFrames.error("no lane handler on " + self))
              : h.handle(from, request);
        } catch (RuntimeException e) {
          // A bug of the handler's: the request is answered with it, the connection goes on.
          log.error("data lane: the handler failed on a request from {}: {}", from, e.toString());
          reply = CompletableFuture.completedFuture(LaneFrames.error(e.toString()));
        }
        reply.whenComplete((r, t) -> {
          payloadBudget.release(held);
          replies.submit(id, t == null ? r : LaneFrames.error(t.toString()), null);
        });
      }
    } catch (LaneRefused e) {
      if (!closed) log.warn("data lane: refused {}: {}", host, e.getMessage());
    } catch (EOFException | ClosedChannelException e) {
      if (counted) log.warn("data lane: refused {}: it closed before its credential", host);
      else log.debug("data lane client {} went away", from);
    } catch (IOException | IllegalArgumentException e) {
      if (!closed) log.warn("data lane client {}: {}; closing", from, io.rackshare.util.LogText.printable(e.toString()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (counted) authenticatedOrClosed(host);
      if (admitted) leftPeer(from);
      accepted.remove(ch);
      try {
        ch.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }


  /** How long a client may take to prove its credential after connecting. */
  static final java.time.Duration HELLO_TIMEOUT = java.time.Duration.ofSeconds(5);
  /**
   * Connections at once that have not proved their credential, from one host and from all; beyond,
   * new ones are closed at once (a host's blade needs one connection per peer, and proves it in
   * milliseconds).
   */
  static final int MAX_UNAUTHENTICATED_PER_HOST = 8;
  static final int MAX_UNAUTHENTICATED = 64;
  /**
   * Authenticated connections from one blade at once (it keeps one to each target; a restarted
   * blade's new one may meet its dead self's, closed as soon as the kernel says so).
   */
  static final int MAX_CONNECTIONS_PER_PEER = 8;

  /** A client that did not prove it is a blade of this cluster. */
  private static final class LaneRefused extends IOException {
    LaneRefused(String why) {
      super(why);
    }
  }



  @Override
  public void close() {
    closed = true;
    for (ServerSocketChannel s : listeners) LaneConnection.closeQuietly(s);
    accepted.keySet().forEach(LaneConnection::closeQuietly);
  }
}
