package io.rackshare.smm;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.rackshare.io.ChannelReader;
import io.rackshare.io.DirectBufferPool;
import io.rackshare.io.TlsContexts;
import io.rackshare.tls.ClusterCa;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Issue 14's question: would Netty (epoll transport, SslHandler with the JDK's TLS or BoringSSL)
 * carry the data lane's frames faster than the hand-written lane ({@link LaneConnection}, {@link
 * LaneFrames}, a reader thread per connection, requesters writing under the connection's lock,
 * TLS through {@link TlsChannel} with the JDK's engine or BoringSSL's)?
 * Both carry the lane's own frame format over one loopback TCP connection in one JVM, with TLS 1.3
 * and both ends showing certificates of one {@link ClusterCa}, as blades on different hosts do:
 * read requests answered with 4 KiB or 1 MiB from memory, and 1 MiB writes answered empty, at a
 * fixed queue depth. Rounds interleave the transports; medians go to {@code
 * target/lane-transport-bench.md} ({@code bench/lane-transport.sh} puts them into
 * docs/benchmarks.md). Not part of the suite (only with {@code -Drackshare.bench=true}).
 */
@EnabledIfSystemProperty(named = "rackshare.bench", matches = "true")
class LaneTransportBench {
  static final byte READ = 1;
  static final byte WRITE = 2;

  /** One job: what a request asks for, how many are in flight. */
  record Job(String name, byte type, int size, int depth, boolean throughput) {}

  static final List<Job> JOBS = List.of(
      new Job("read-4k-qd1", READ, 4096, 1, false),
      new Job("read-4k-qd32", READ, 4096, 32, false),
      new Job("read-1M-qd4", READ, 1 << 20, 4, true),
      new Job("write-1M-qd4", WRITE, 1 << 20, 4, true),
      new Job("write-4k-qd32", WRITE, 4096, 32, false));

  /** The requester's end of one connection; replies go to {@code Replies} on the transport's thread. */
  interface Client extends AutoCloseable {
    void send(long id, byte type, int size, ByteBuffer payload) throws Exception;

    /** The TLS cipher suite the connection agreed on (or "none"). */
    String cipher();

    @Override
    void close() throws Exception;
  }

  interface Replies {
    void reply(long id, int payloadBytes);
  }

  /** A transport under test: starts its server once, then makes clients to it. */
  interface Transport extends AutoCloseable {
    Client connect(Replies replies) throws Exception;

    @Override
    void close() throws Exception;
  }

  static final ByteBuffer DATA = ByteBuffer.allocateDirect(1 << 20);

  @Test
  void laneAgainstNettyWithTls() throws Exception {
    int rounds = Integer.getInteger("rackshare.bench.rounds", 3);
    double seconds = Double.parseDouble(System.getProperty("rackshare.bench.seconds", "5"));
    Path dir = Files.createTempDirectory("lane-bench");
    ClusterCa ca = ClusterCa.create(dir, "bench");
    Path server = ca.issue("blade-1", List.of("127.0.0.1"), dir.resolve("b1"));
    Path client = ca.issue("blade-2", List.of("127.0.0.1"), dir.resolve("b2"));
    if (!Epoll.isAvailable()) throw new IllegalStateException("Netty's epoll transport does not load", Epoll.unavailabilityCause());
    if (!OpenSsl.isAvailable()) throw new IllegalStateException("netty-tcnative does not load", OpenSsl.unavailabilityCause());

    Map<String, Supplier<Transport>> transports = new LinkedHashMap<>();
    transports.put("lane, JDK TLS", () -> Lane.start(laneTls("jdk", server), laneTls("jdk", client)));
    transports.put("lane, BoringSSL", () -> Lane.start(laneTls("boringssl", server), laneTls("boringssl", client)));
    transports.put("lane, BoringSSL, replies flushed per burst", () -> Lane.start(laneTls("boringssl", server),
        laneTls("boringssl", client), true));
    transports.put("lane, BoringSSL, requests gathered by a writer thread", () -> Lane.start(laneTls("boringssl", server),
        laneTls("boringssl", client), true, true));
    transports.put("lane, BoringSSL, FrameWriter (hands off while requests are in flight)",
        () -> Lane.start(laneTls("boringssl", server), laneTls("boringssl", client), true, false, true));
    transports.put("Netty epoll, JDK TLS", () -> NettyLane.start(SslProvider.JDK, server, client));
    transports.put("Netty epoll, BoringSSL", () -> NettyLane.start(SslProvider.OPENSSL, server, client));
    transports.put("Pekko Streams TCP, JDK TLS", () -> PekkoLane.start(laneTls("jdk", server), laneTls("jdk", client)));
    transports.put("lane, no TLS", () -> Lane.start(null, null));
    transports.put("Netty epoll, no TLS", () -> NettyLane.start(null, server, client));

    String only = System.getProperty("rackshare.bench.transports");
    if (only != null && !only.isBlank()) transports.keySet().removeIf(t -> !t.equals("lane, JDK TLS") && !t.matches(only));
    String jobsOnly = System.getProperty("rackshare.bench.jobs", ".*");
    List<Job> jobs = JOBS.stream().filter(j -> j.name().matches(jobsOnly)).toList();
    Map<String, Map<String, List<double[]>>> results = new LinkedHashMap<>();
    Map<String, String> ciphers = new LinkedHashMap<>();
    for (int round = 0; round < rounds; round++) {
      for (var t : transports.entrySet()) {
        try (Transport transport = t.getValue().get()) {
          for (Job job : jobs) {
            double[] r = run(transport, job, seconds, ciphers, t.getKey());
            results.computeIfAbsent(job.name(), k -> new LinkedHashMap<>())
                .computeIfAbsent(t.getKey(), k -> new ArrayList<>()).add(r);
            System.out.printf(Locale.ROOT, "LANE-BENCH round %d %s %s: %.0f %s, p50 %.1f us%n", round + 1, t.getKey(),
                job.name(), r[0], job.throughput() ? "MiB/s" : "IOPS", r[1]);
          }
        }
      }
    }
    StringBuilder md = new StringBuilder("| job | unit |");
    for (String t : transports.keySet()) md.append(' ').append(t).append(" |");
    md.append("\n|---|---|").append("---|".repeat(transports.size())).append('\n');
    for (Job job : jobs) {
      Map<String, List<double[]>> byTransport = results.get(job.name());
      double base = median(byTransport.get("lane, JDK TLS"), 0);
      md.append("| ").append(job.name()).append(" | ").append(job.throughput() ? "MiB/s" : "IOPS").append(" |");
      for (String t : transports.keySet()) {
        double v = median(byTransport.get(t), 0);
        md.append(String.format(Locale.ROOT, " %.0f (%.2f; p50 %.0f us) |", v, v / base, median(byTransport.get(t), 1)));
      }
      md.append('\n');
    }
    md.append(String.format(Locale.ROOT, "%nMedians of %d interleaved round(s) of %.0f s per job; in brackets the ratio"
        + " to the lane with the JDK's TLS and the median round trip. Cipher suites agreed: %s.%n", rounds, seconds, ciphers));
    Files.writeString(Path.of("target", "lane-transport-bench.md"), md.toString());
    System.out.println(md);
  }

  static LaneTls laneTls(String provider, Path dir) {
    System.setProperty("rackshare.lane.tls-provider", provider);
    try {
      TlsContexts.Material m = TlsContexts.material(dir, "bench");
      return new LaneTls(() -> m);
    } finally {
      System.clearProperty("rackshare.lane.tls-provider");
    }
  }

  /** Runs {@code job} for {@code seconds} after a one-second warm-up; returns {rate, p50 us}. */
  static double[] run(Transport transport, Job job, double seconds, Map<String, String> ciphers, String name)
      throws Exception {
    Semaphore window = new Semaphore(job.depth());
    long[] started = new long[1024];
    Histogram latency = new Histogram(3_600_000_000L, 2);
    long[] done = {0};
    boolean[] measuring = {false};
    Replies replies = (id, bytes) -> {
      if (job.type() == READ && bytes != job.size()) throw new IllegalStateException("reply of " + bytes + " bytes");
      synchronized (latency) {
        if (measuring[0]) {
          latency.recordValue((System.nanoTime() - started[(int) (id & 1023)]) / 1000);
          done[0]++;
        }
      }
      window.release();
    };
    try (Client client = transport.connect(replies)) {
      ByteBuffer payload = job.type() == WRITE ? DATA.duplicate().limit(job.size()) : null;
      long id = 0;
      long warm = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
      long end = warm + (long) (seconds * 1e9);
      long begin = 0;
      while (true) {
        long now = System.nanoTime();
        if (now >= end) break;
        if (!measuring[0] && now >= warm) {
          window.acquire(job.depth());
          synchronized (latency) {
            measuring[0] = true;
          }
          window.release(job.depth());
          begin = System.nanoTime();
        }
        if (!window.tryAcquire(10, TimeUnit.SECONDS)) throw new IllegalStateException(name + ": no reply in 10 s");
        id++;
        started[(int) (id & 1023)] = System.nanoTime();
        client.send(id, job.type(), job.size(), payload == null ? null : payload.duplicate());
      }
      if (!window.tryAcquire(job.depth(), 10, TimeUnit.SECONDS)) throw new IllegalStateException(name + ": replies lost");
      ciphers.putIfAbsent(name, client.cipher());
      double elapsed = (System.nanoTime() - begin) / 1e9;
      synchronized (latency) {
        double perSecond = done[0] / elapsed;
        double rate = job.throughput() ? perSecond * job.size() / (1 << 20) : perSecond;
        return new double[] {rate, latency.getValueAtPercentile(50)};
      }
    }
  }

  static double median(List<double[]> samples, int field) {
    double[] v = samples.stream().mapToDouble(s -> s[field]).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  /** A request's header: the size asked for (reads) or sent (writes), as the lane's headers carry offsets. */
  static ByteBuffer header(int size) {
    return ByteBuffer.allocate(16).putLong(0).putInt(size).putInt(0).flip();
  }

  /**
   * Today's lane: {@link LaneConnection} over a socket channel, {@link LaneFrames}' codec, the
   * server's reader thread answering its own requests inline (the owner rule of {@link
   * FrameWriter}), the requester writing under the connection's lock on its own thread, and a
   * reader thread for replies that land in pooled direct buffers.
   */
  static final class Lane implements Transport {
    final ServerSocketChannel listener;
    final LaneTls serverTls;
    final LaneTls clientTls;
    /** Whether a reply's TLS records wait while the reader already holds the next request. */
    final boolean burst;
    /** Whether requests go to a writer thread that writes all it finds queued at once. */
    final boolean gathered;
    /** Whether requests go through the lane's {@link FrameWriter}, as the data lane sends them. */
    final boolean frameWriter;
    final Thread acceptor;

    private Lane(LaneTls serverTls, LaneTls clientTls, boolean burst, boolean gathered, boolean frameWriter)
        throws IOException {
      this.frameWriter = frameWriter;
      this.serverTls = serverTls;
      this.clientTls = clientTls;
      this.burst = burst;
      this.gathered = gathered;
      listener = ServerSocketChannel.open(StandardProtocolFamily.INET).bind(new InetSocketAddress("127.0.0.1", 0));
      acceptor = new Thread(this::accept, "lane-bench-accept");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    static Lane start(LaneTls serverTls, LaneTls clientTls) {
      return start(serverTls, clientTls, false);
    }

    /**
     * With {@code burst}, the server flushes its replies only when its reader holds no further
     * request (as Netty flushes once per read burst): the experiment for the lane's writer.
     */
    static Lane start(LaneTls serverTls, LaneTls clientTls, boolean burst) {
      return start(serverTls, clientTls, burst, false);
    }

    static Lane start(LaneTls serverTls, LaneTls clientTls, boolean burst, boolean gathered) {
      return start(serverTls, clientTls, burst, gathered, false);
    }

    static Lane start(LaneTls serverTls, LaneTls clientTls, boolean burst, boolean gathered, boolean frameWriter) {
      try {
        return new Lane(serverTls, clientTls, burst, gathered, frameWriter);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    private void accept() {
      while (listener.isOpen()) {
        try {
          SocketChannel ch = listener.accept();
          Thread t = new Thread(() -> serve(ch), "lane-bench-server");
          t.setDaemon(true);
          t.start();
        } catch (IOException e) {
          return;
        }
      }
    }

    private void serve(SocketChannel ch) {
      try {
        LaneConnection.tune(ch, true);
        LaneConnection c = serverTls == null ? LaneConnection.plain(ch) : LaneConnection.server(ch, serverTls);
        ChannelReader in = new ChannelReader(c.in, 64 * 1024);
        ByteBuffer reuse = ByteBuffer.allocateDirect(LaneFrames.REUSED_PAYLOAD);
        ByteBuffer none = ByteBuffer.allocate(0);
        while (true) {
          int length = in.readInt();
          byte type = in.readByte();
          long id = in.readLong();
          DataLane.Frame request = LaneFrames.readBody(in, length, type, reuse, null);
          int size = request.header().getInt(8);
          ByteBuffer payload = type == READ ? DATA.duplicate().limit(size) : none;
          if (!burst) {
            LaneFrames.write(c, type, id, new DataLane.Frame(type, ByteBuffer.allocate(0), payload));
            continue;
          }
          ByteBuffer start = ByteBuffer.allocate(17).putInt(13 + payload.remaining()).put(type).putLong(id).putInt(0).flip();
          c.write(new ByteBuffer[] {start, payload}, null, in.buffered() == 0);
        }
      } catch (IOException e) {
        if (ch.isOpen() && !(e instanceof java.io.EOFException)) {
          System.out.println("LANE-BENCH server failed: " + e);
          e.printStackTrace(System.out);
        }
        LaneConnection.closeQuietly(ch);
      }
    }

    @Override
    public Client connect(Replies replies) throws Exception {
      SocketChannel ch = SocketChannel.open((InetSocketAddress) listener.getLocalAddress());
      LaneConnection.tune(ch, false);
      InetSocketAddress target = (InetSocketAddress) listener.getLocalAddress();
      LaneConnection c = clientTls == null ? LaneConnection.plain(ch) : LaneConnection.client(ch, clientTls, target);
      DirectBufferPool pool = new DirectBufferPool(1 << 20, 64);
      java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
      Thread reader = new Thread(() -> {
        try {
          ChannelReader in = new ChannelReader(c.in, 64 * 1024);
          while (true) {
            int length = in.readInt();
            byte type = in.readByte();
            long id = in.readLong();
            DataLane.Frame reply = LaneFrames.readBody(in, length, type, null, pool);
            inFlight.decrementAndGet();
            replies.reply(id, reply.payload().remaining());
            if (reply.payload().isDirect()) pool.release(reply.payload());
          }
        } catch (IOException e) {
          if (c.channel.isOpen()) {
            System.out.println("LANE-BENCH reader failed: " + e);
            e.printStackTrace(System.out);
          }
        }
      }, "lane-bench-replies");
      reader.setDaemon(true);
      reader.start();
      String cipher = c.cipherSuite();
      java.util.concurrent.ConcurrentLinkedQueue<ByteBuffer[]> queue = new java.util.concurrent.ConcurrentLinkedQueue<>();
      Thread writer = gathered ? new Thread(() -> {
        List<ByteBuffer> batch = new ArrayList<>();
        try {
          while (c.channel.isOpen()) {
            for (ByteBuffer[] f; batch.size() < 256 && (f = queue.poll()) != null; ) batch.addAll(List.of(f));
            if (batch.isEmpty()) {
              java.util.concurrent.locks.LockSupport.park();
              continue;
            }
            c.write(batch.toArray(ByteBuffer[]::new), null, true);
            batch.clear();
          }
        } catch (IOException e) {
          if (c.channel.isOpen()) System.out.println("LANE-BENCH writer failed: " + e);
        }
      }, "lane-bench-writer") : null;
      if (writer != null) {
        writer.setDaemon(true);
        writer.start();
      }
      java.util.concurrent.ExecutorService writers = frameWriter
          ? java.util.concurrent.Executors.newCachedThreadPool(DataLane.daemon("lane-bench-writer")) : null;
      FrameWriter out = frameWriter ? new FrameWriter(FrameWriter.Sink.of(
          (id, f) -> LaneFrames.write(c, f.type(), id, f, false), c::flush), e -> {
            if (c.channel.isOpen()) System.out.println("LANE-BENCH writer failed: " + e);
          }, writers, null, () -> inFlight.get() > 1) : null;
      return new Client() {
        @Override
        public void send(long id, byte type, int size, ByteBuffer payload) throws IOException {
          inFlight.incrementAndGet();
          if (out != null) {
            FrameWriter.mayBlock(); // as an NBD connection's thread
            out.submit(id, new DataLane.Frame(type, header(size), payload == null ? ByteBuffer.allocate(0) : payload),
                null);
            return;
          }
          if (writer != null) {
            ByteBuffer h = header(size);
            ByteBuffer p = payload == null ? ByteBuffer.allocate(0) : payload;
            ByteBuffer start = ByteBuffer.allocate(17).putInt(13 + h.remaining() + p.remaining()).put(type).putLong(id)
                .putInt(h.remaining()).flip();
            queue.add(new ByteBuffer[] {start, h, p});
            java.util.concurrent.locks.LockSupport.unpark(writer);
            return;
          }
          synchronized (c) {
            LaneFrames.write(c, type, id, new DataLane.Frame(type, header(size), payload == null ? ByteBuffer.allocate(0) : payload));
          }
        }

        @Override
        public String cipher() {
          return cipher;
        }

        @Override
        public void close() throws InterruptedException {
          c.close();
          reader.join(5000);
          if (writer != null) {
            java.util.concurrent.locks.LockSupport.unpark(writer);
            writer.join(5000);
          }
          if (writers != null) writers.shutdown();
        }
      };
    }

    @Override
    public void close() throws IOException {
      listener.close();
    }
  }

  /**
   * The same frames over Netty: epoll channels, {@link SslHandler} from the JDK's provider or
   * BoringSSL ({@code netty-tcnative}), a length-field decoder, one event loop thread per side;
   * the requester's writes are handed to its event loop, as Netty does for writes from other threads.
   */
  static final class NettyLane implements Transport {
    final EventLoopGroup serverLoop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    final EventLoopGroup clientLoop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    final SslContext serverTls;
    final SslContext clientTls;
    final Channel listener;

    private NettyLane(SslProvider provider, Path server, Path client) throws Exception {
      if (provider == null) {
        serverTls = null;
        clientTls = null;
      } else {
        X509Certificate ca = ClusterCa.readCertificate(server.resolve(ClusterCa.CA_CERT));
        serverTls = SslContextBuilder.forServer(key(server), cert(server)).trustManager(ca).clientAuth(ClientAuth.REQUIRE)
            .protocols("TLSv1.3").sslProvider(provider).build();
        clientTls = SslContextBuilder.forClient().keyManager(key(client), cert(client)).trustManager(ca)
            .protocols("TLSv1.3").sslProvider(provider).endpointIdentificationAlgorithm("HTTPS").build();
      }
      listener = new ServerBootstrap().group(serverLoop).channel(EpollServerSocketChannel.class)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childOption(ChannelOption.SO_SNDBUF, 4 << 20)
          .childHandler(new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
              if (serverTls != null) ch.pipeline().addLast(serverTls.newHandler(ch.alloc()));
              ch.pipeline().addLast(frames(), new SimpleChannelInboundHandler<ByteBuf>() {
                @Override
                protected void channelRead0(ChannelHandlerContext ctx, ByteBuf f) {
                  byte type = f.readByte();
                  long id = f.readLong();
                  int headerLength = f.readInt();
                  int size = f.getInt(f.readerIndex() + 8);
                  f.skipBytes(headerLength);
                  ByteBuf payload = type == READ ? Unpooled.wrappedBuffer(DATA.duplicate().limit(size)) : Unpooled.EMPTY_BUFFER;
                  ByteBuf start = ctx.alloc().directBuffer(17);
                  start.writeInt(13 + payload.readableBytes()).writeByte(type).writeLong(id).writeInt(0);
                  ctx.write(start);
                  ctx.write(payload);
                }

                @Override
                public void channelReadComplete(ChannelHandlerContext ctx) {
                  ctx.flush();
                }
              });
            }
          }).bind("127.0.0.1", 0).sync().channel();
    }

    static NettyLane start(SslProvider provider, Path server, Path client) {
      try {
        return new NettyLane(provider, server, client);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    static LengthFieldBasedFrameDecoder frames() {
      return new LengthFieldBasedFrameDecoder(LaneFrames.MAX_FRAME + 4, 0, 4, 0, 4);
    }

    static PrivateKey key(Path dir) throws IOException {
      return ClusterCa.readPrivateKey(dir.resolve(ClusterCa.KEY));
    }

    static X509Certificate cert(Path dir) throws IOException {
      return ClusterCa.readCertificate(dir.resolve(ClusterCa.CERT));
    }

    @Override
    public Client connect(Replies replies) throws Exception {
      InetSocketAddress target = (InetSocketAddress) listener.localAddress();
      Channel ch = new Bootstrap().group(clientLoop).channel(EpollSocketChannel.class)
          .option(ChannelOption.TCP_NODELAY, true)
          .option(ChannelOption.SO_RCVBUF, 4 << 20)
          .handler(new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
              if (clientTls != null) ch.pipeline().addLast(clientTls.newHandler(ch.alloc(), "127.0.0.1", target.getPort()));
              ch.pipeline().addLast(frames(), new SimpleChannelInboundHandler<ByteBuf>() {
                @Override
                protected void channelRead0(ChannelHandlerContext ctx, ByteBuf f) {
                  f.readByte();
                  long id = f.readLong();
                  f.skipBytes(f.readInt());
                  replies.reply(id, f.readableBytes());
                }
              });
            }
          }).connect(target).sync().channel();
      String cipher = "none";
      SslHandler tls = ch.pipeline().get(SslHandler.class);
      if (tls != null) cipher = tls.handshakeFuture().sync().getNow().pipeline().get(SslHandler.class).engine().getSession().getCipherSuite();
      String agreed = cipher;
      return new Client() {
        @Override
        public void send(long id, byte type, int size, ByteBuffer payload) {
          ByteBuffer h = header(size);
          int payloadBytes = payload == null ? 0 : payload.remaining();
          ByteBuf start = ch.alloc().directBuffer(17 + h.remaining());
          start.writeInt(13 + h.remaining() + payloadBytes).writeByte(type).writeLong(id).writeInt(h.remaining()).writeBytes(h);
          if (payload == null) {
            ch.writeAndFlush(start);
          } else {
            ch.write(start);
            ch.writeAndFlush(Unpooled.wrappedBuffer(payload));
          }
        }

        @Override
        public String cipher() {
          return agreed;
        }

        @Override
        public void close() throws InterruptedException {
          ch.close().sync();
        }
      };
    }

    @Override
    public void close() throws InterruptedException {
      listener.close().sync();
      serverLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
      clientLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  /**
   * The same frames over Pekko Streams' TCP with its TLS stage (the JDK's engine, from {@link
   * LaneTls}), {@code Framing.lengthField}, a server flow mapping each request to its reply, and a
   * client that offers requests to a queue feeding the connection.
   */
  static final class PekkoLane implements Transport {
    final org.apache.pekko.actor.typed.ActorSystem<Void> system = org.apache.pekko.actor.typed.ActorSystem.create(
        org.apache.pekko.actor.typed.javadsl.Behaviors.empty(), "lane-bench",
        com.typesafe.config.ConfigFactory.parseString("pekko.actor.provider = local\npekko.loglevel = WARNING")
            .withFallback(com.typesafe.config.ConfigFactory.load()));
    final LaneTls clientTls;
    final org.apache.pekko.stream.javadsl.Tcp.ServerBinding binding;

    private PekkoLane(LaneTls serverTls, LaneTls clientTls) throws Exception {
      this.clientTls = clientTls;
      var tcp = org.apache.pekko.stream.javadsl.Tcp.get(system);
      var serve = frames().map(f -> {
        java.nio.ByteBuffer b = f.asByteBuffer();
        byte type = b.get(4);
        long id = b.getLong(5);
        int size = b.getInt(17 + 8);
        java.nio.ByteBuffer start = java.nio.ByteBuffer.allocate(17);
        int payload = type == READ ? size : 0;
        start.putInt(13 + payload).put(type).putLong(id).putInt(0).flip();
        org.apache.pekko.util.ByteString reply = org.apache.pekko.util.ByteString.fromByteBuffer(start);
        return type == READ ? reply.concat(org.apache.pekko.util.ByteString.fromByteBuffer(DATA.duplicate().limit(size)))
            : reply;
      });
      binding = tcp.bindWithTls("127.0.0.1", 0, () -> {
        try {
          return serverTls.server();
        } catch (javax.net.ssl.SSLException e) {
          throw new IllegalStateException(e);
        }
      }).to(org.apache.pekko.stream.javadsl.Sink.foreach(c -> c.handleWith(serve, system)))
          .run(system).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    static PekkoLane start(LaneTls serverTls, LaneTls clientTls) {
      try {
        return new PekkoLane(serverTls, clientTls);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    static org.apache.pekko.stream.javadsl.Flow<org.apache.pekko.util.ByteString, org.apache.pekko.util.ByteString,
        org.apache.pekko.NotUsed> frames() {
      return org.apache.pekko.stream.javadsl.Framing.lengthField(4, 0, LaneFrames.MAX_FRAME + 4,
          java.nio.ByteOrder.BIG_ENDIAN);
    }

    @Override
    public Client connect(Replies replies) throws Exception {
      InetSocketAddress target = binding.localAddress();
      java.util.concurrent.atomic.AtomicReference<javax.net.ssl.SSLEngine> engine =
          new java.util.concurrent.atomic.AtomicReference<>();
      var connection = org.apache.pekko.stream.javadsl.Tcp.get(system).outgoingConnectionWithTls(target, () -> {
        try {
          engine.set(clientTls.client(target));
          return engine.get();
        } catch (javax.net.ssl.SSLException e) {
          throw new IllegalStateException(e);
        }
      });
      var queue = org.apache.pekko.stream.javadsl.Source.<org.apache.pekko.util.ByteString>queue(1024)
          .via(connection).via(frames())
          .to(org.apache.pekko.stream.javadsl.Sink.foreach(f -> {
            java.nio.ByteBuffer b = f.asByteBuffer();
            replies.reply(b.getLong(5), f.size() - 17 - b.getInt(13));
          }))
          .run(system);
      return new Client() {
        @Override
        public void send(long id, byte type, int size, ByteBuffer payload) {
          ByteBuffer h = header(size);
          int payloadBytes = payload == null ? 0 : payload.remaining();
          ByteBuffer start = ByteBuffer.allocate(17 + h.remaining());
          start.putInt(13 + h.remaining() + payloadBytes).put(type).putLong(id).putInt(h.remaining()).put(h).flip();
          org.apache.pekko.util.ByteString frame = org.apache.pekko.util.ByteString.fromByteBuffer(start);
          if (payload != null) frame = frame.concat(org.apache.pekko.util.ByteString.fromByteBuffer(payload));
          var result = queue.offer(frame);
          if (result != org.apache.pekko.stream.QueueOfferResult.enqueued()) {
            throw new IllegalStateException("request not queued: " + result);
          }
        }

        @Override
        public String cipher() {
          return engine.get() == null ? "?" : engine.get().getSession().getCipherSuite();
        }

        @Override
        public void close() {
          queue.complete();
        }
      };
    }

    @Override
    public void close() throws Exception {
      binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
