package io.rackshare.nbd;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import io.rackshare.io.DirectBufferPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The NBD server of a blade: listens on TCP (the public address) and optionally a Unix socket,
 * and serves each connection on its own threads. It only knows {@link NbdExports}.
 */
public final class NbdServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(NbdServer.class);

  private final NbdSettings settings;
  private final NbdExports exports;
  private final List<ServerSocketChannel> listeners = new ArrayList<>();
  private final Set<NbdConnection> connections = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService watchdog;
  private final AtomicLong connectionIds = new AtomicLong();
  /** Write payloads of up to 1 MiB, for all connections: at most 64 MiB of direct memory. */
  private final DirectBufferPool buffers = new DirectBufferPool(1 << 20, 64);
  /** Payload memory shared by all connections (rackshare.nbd.memory-budget). */
  private final io.rackshare.io.MemoryBudget budget;
  private volatile long lastRefusalLog;
  /** TLS for NBD_OPT_STARTTLS on TCP (null: off); the Unix socket is this host's alone. */
  private final NbdTls tls;
  private InetSocketAddress tcpAddress;
  private Path unixPath;
  private volatile boolean closed;

  private NbdServer(NbdSettings settings, NbdExports exports) {
    this.settings = settings;
    this.exports = exports;
    this.budget = new io.rackshare.io.MemoryBudget(settings.memoryBudget());
    this.tls = settings.tlsMode() == NbdTls.Mode.OFF ? null
        : NbdTls.load(java.nio.file.Path.of(settings.tlsDir()), settings.tlsVerifyClients());
    this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "nbd-handshake-watchdog");
      t.setDaemon(true);
      return t;
    });
  }

  /** Binds the listeners and starts accepting. */
  public static NbdServer start(NbdSettings settings, NbdExports exports) throws IOException {
    NbdServer server = new NbdServer(settings, exports);
    try {
      ServerSocketChannel tcp = ServerSocketChannel.open();
      tcp.bind(new InetSocketAddress(settings.hostname(), settings.port()), 64);
      server.tcpAddress = (InetSocketAddress) tcp.getLocalAddress();
      server.listen(tcp, "tcp");
      if (settings.unixSocket().isPresent()) {
        Path path = Path.of(settings.unixSocket().get());
        Files.deleteIfExists(path);
        ServerSocketChannel unix = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        unix.bind(UnixDomainSocketAddress.of(path), 64);
        server.unixPath = path;
        server.listen(unix, "unix");
      }
    } catch (IOException | RuntimeException e) {
      server.close();
      throw new IOException("cannot start the NBD server on " + settings.hostname() + ":"
          + settings.port() + settings.unixSocket().map(u -> " and " + u).orElse("") + ": " + e.getMessage(), e);
    }
    log.info("NBD server listening on {}{} ({} MiB for payloads, at most {} connections; TLS {})", server.tcpAddress,
        server.unixPath == null ? "" : " and " + server.unixPath, settings.memoryBudget() >> 20,
        settings.maxConnections(), settings.tlsMode().name().toLowerCase(java.util.Locale.ROOT)
            + (settings.tlsMode() != NbdTls.Mode.OFF && settings.tlsVerifyClients() ? ", client certificates" : ""));
    server.watchdog.scheduleWithFixedDelay(server::closeSlowPayloads, 1, 1, TimeUnit.SECONDS);
    return server;
  }

  private void listen(ServerSocketChannel listener, String kind) {
    listeners.add(listener);
    Thread t = new Thread(() -> accept(listener, kind), "nbd-accept-" + kind);
    t.setDaemon(true);
    t.start();
  }

  private void accept(ServerSocketChannel listener, String kind) {
    while (!closed) {
      try {
        SocketChannel ch = listener.accept();
        String refusal = refusal(ch, kind);
        if (refusal != null) {
          long now = System.nanoTime();
          if (now - lastRefusalLog > 10_000_000_000L) {
            lastRefusalLog = now;
            log.warn("NBD: refused a connection on {}: {} (said once per 10 s)", kind, refusal);
          }
          ch.close();
          continue;
        }
        if (kind.equals("tcp")) ch.socket().setTcpNoDelay(true);
        String peer = kind + "-" + connectionIds.incrementAndGet()
            + (kind.equals("tcp") ? "@" + ch.getRemoteAddress() : "");
        NbdConnection[] holder = new NbdConnection[1];
        NbdConnection c = new NbdConnection(ch, exports, settings, peer, buffers, budget,
            kind.equals("tcp") ? tls : null,
            () -> connections.remove(holder[0]));
        holder[0] = c;
        connections.add(c);
        Thread t = new Thread(c, "nbd-" + peer);
        t.setDaemon(true);
        t.start();
        watchdog.schedule(() -> {
          if (!c.handshakeDone()) c.close();
        }, settings.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        if (!closed) log.warn("NBD accept on {} failed: {}", kind, e.toString());
      }
    }
  }

  /** Connections serving export {@code name} now. */
  public int clientsOf(String name) {
    return (int) connections.stream().filter(c -> name.equals(c.serving())).count();
  }

  /**
   * Closes every connection serving export {@code name}, saying {@code why} in the log (its
   * volume was removed, or its medium ejected); returns how many.
   */
  public int closeClientsOf(String name, String why) {
    int n = 0;
    for (NbdConnection c : connections) {
      if (!name.equals(c.serving())) continue;
      log.warn("NBD client {} of export '{}': {}; closing the connection", c.peer(), name, why);
      c.close();
      n++;
    }
    return n;
  }

  /** Connections open now (handshaking or serving). */
  public int connections() {
    return connections.size();
  }

  /** Why a new connection is turned away (null: it is not): the caps on connections. */
  private String refusal(SocketChannel ch, String kind) throws IOException {
    if (connections.size() >= settings.maxConnections()) {
      return settings.maxConnections() + " connections are open (rackshare.nbd.max-connections)";
    }
    if (kind.equals("tcp") && ch.getRemoteAddress() instanceof InetSocketAddress remote) {
      String host = remote.getAddress().getHostAddress();
      long handshaking = connections.stream().filter(c -> !c.handshakeDone() && c.peer().contains("@/" + host + ":"))
          .count();
      if (handshaking >= settings.maxHandshakingPerHost()) {
        return host + " has " + handshaking + " connections in their handshake (rackshare.nbd.max-handshaking-per-host)";
      }
    }
    return null;
  }

  /** Closes connections that stall (rackshare.nbd.payload-stall-timeout, min-payload-rate). */
  private void closeSlowPayloads() {
    long now = System.nanoTime();
    for (NbdConnection c : connections) {
      if (c.stalled(now)) {
        log.warn("NBD client {}: stalled (a payload stopped or came slower than {} bytes/s, or replies were not"
            + " taken for {}); closing the connection", c.peer(), settings.minPayloadRate(), settings.payloadStallTimeout());
        c.close();
      }
    }
  }

  /** Payload memory not reserved now, for status and tests. */
  public long memoryAvailable() {
    return budget.available();
  }

  public InetSocketAddress tcpAddress() {
    return tcpAddress;
  }

  public Optional<Path> unixPath() {
    return Optional.ofNullable(unixPath);
  }

  /** Open connections, for status and tests. */
  public int connectionCount() {
    return connections.size();
  }

  /** Takes no new client (the listeners close); those connected are served on. */
  public void stopAccepting() {
    closed = true;
    for (ServerSocketChannel l : listeners) {
      try {
        l.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }

  /**
   * Shuts down gracefully (NBD's soft disconnect, as the blade's coordinated shutdown does):
   * takes no new client, answers every request read from now on {@code ESHUTDOWN}, waits up to
   * {@code timeout} for the replies of those in flight, then closes every connection. Returns
   * true if nothing was left in flight. Blocks its caller.
   */
  public boolean shutdown(java.time.Duration timeout) throws InterruptedException {
    stopAccepting();
    connections.forEach(NbdConnection::stop);
    long deadline = System.nanoTime() + timeout.toNanos();
    boolean idle;
    // Replies complete on other threads with nothing to wait on here: look every 10 ms.
    while (!(idle = connections.stream().allMatch(NbdConnection::idle)) && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    if (!idle) log.warn("NBD: requests still in flight after {}; closing their connections anyway", timeout);
    close();
    return idle;
  }

  @Override
  public void close() {
    stopAccepting();
    connections.forEach(NbdConnection::close);
    watchdog.shutdownNow();
    if (unixPath != null) {
      try {
        Files.deleteIfExists(unixPath);
      } catch (IOException ignored) {
        // best effort
      }
    }
  }
}
