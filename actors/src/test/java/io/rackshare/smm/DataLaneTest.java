package io.rackshare.smm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.map.BladeId;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The data lane between two blades of this JVM: correlation, windows, time-outs, peers. */
class DataLaneTest {

  static final BladeId A = new BladeId(1, 1, 1);
  static final BladeId B = new BladeId(1, 1, 2);
  static final int QUEUE = 100;
  final List<DataLane> lanes = new ArrayList<>();

  DataLane lane(BladeId self, int window, Duration timeout) throws Exception {
    return lane(self, window, timeout, Duration.ofMillis(50));
  }

  DataLane track(DataLane l) {
    lanes.add(l);
    return l;
  }

  DataLane lane(BladeId self, int window, Duration timeout, Duration sweep) throws Exception {
    DataLane l = DataLane.start(self, "127.0.0.1", 0,
        new OobSettings(window, QUEUE, timeout, sweep, Duration.ofSeconds(1)));
    lanes.add(l);
    return l;
  }

  @AfterEach
  void close() {
    lanes.forEach(DataLane::close);
  }

  static DataLane.Frame frame(String text) {
    return new DataLane.Frame((byte) 1, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)),
        ByteBuffer.wrap(new byte[] {1, 2, 3}));
  }

  static String text(DataLane.Frame f) {
    return StandardCharsets.UTF_8.decode(f.header().duplicate()).toString();
  }

  static Throwable failure(CompletableFuture<?> f) {
    try {
      f.get(10, TimeUnit.SECONDS);
      throw new AssertionError("expected a failure");
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause() instanceof CompletionException c ? c.getCause() : e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aRequestGetsItsOwnReplyWithHeaderAndPayload() throws Exception {
    DataLane a = lane(A, 8, Duration.ofSeconds(5));
    DataLane b = lane(B, 8, Duration.ofSeconds(5));
    b.serve((from, req) -> CompletableFuture.completedFuture(new DataLane.Frame((byte) 2,
        ByteBuffer.wrap((from.slot() + ":" + text(req)).getBytes(StandardCharsets.UTF_8)), req.payload())));
    a.peerAt(B, "127.0.0.1", b.port(), b.key());
    // 8 go at once, the rest wait in the queue without blocking this thread.
    List<CompletableFuture<DataLane.Frame>> replies = new ArrayList<>();
    for (int i = 0; i < 100; i++) replies.add(a.request(B, frame("q" + i)));
    for (int i = 0; i < 100; i++) {
      DataLane.Frame r = replies.get(i).get(10, TimeUnit.SECONDS);
      assertEquals("1:q" + i, text(r));
      assertEquals(3, r.payload().remaining());
    }
  }

  /**
   * The Unix socket is this user's alone: its directory is rwx------, so another user (nobody,
   * through runuser, when the tests run as root) cannot even reach it; a connection that did would
   * be refused by its peer credentials (SO_PEERCRED).
   */
  @Test
  void anotherUserCannotReachTheUnixSocket() throws Exception {
    DataLane b = track(DataLane.start(B, "127.0.0.1", 0,
        new OobSettings(8, QUEUE, Duration.ofSeconds(5), Duration.ofMillis(50), Duration.ofSeconds(1), true)));
    java.nio.file.Path sock = java.nio.file.Path.of(b.unixPath());
    assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
        java.nio.file.Files.getPosixFilePermissions(sock.getParent())));
    org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
        "another user's attempt needs root to run as nobody; the directory's mode was checked");
    io.rackshare.testkit.Tool.Result r = io.rackshare.testkit.Tool.run(Duration.ofSeconds(30), "runuser", "-u", "nobody",
        "--", "python3", "-c", "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])", sock.toString());
    assertTrue(r.exit() != 0 && r.out().contains("Permission denied"), r.out());
  }

  @Test
  void bladesOfOneHostTalkOverAUnixSocket() throws Exception {
    DataLane a = track(DataLane.start(A, "127.0.0.1", 0,
        new OobSettings(8, QUEUE, Duration.ofSeconds(5), Duration.ofMillis(50), Duration.ofSeconds(1), true)));
    DataLane b = track(DataLane.start(B, "127.0.0.1", 0,
        new OobSettings(8, QUEUE, Duration.ofSeconds(5), Duration.ofMillis(50), Duration.ofSeconds(1), true)));
    assertTrue(b.unixPath() != null && java.nio.file.Files.exists(java.nio.file.Path.of(b.unixPath())), b.unixPath());
    assertFalse(DataLane.hostId().isEmpty(), "this host has a boot id");
    b.serve((from, req) -> CompletableFuture.completedFuture(new DataLane.Frame((byte) 2,
        ByteBuffer.wrap(("unix:" + text(req)).getBytes(StandardCharsets.UTF_8)), req.payload())));
    a.peerAtUnix(B, b.unixPath(), b.key());
    assertEquals("unix:hello", text(a.request(B, frame("hello")).get(10, TimeUnit.SECONDS)));
    b.close();
    assertFalse(java.nio.file.Files.exists(java.nio.file.Path.of(b.unixPath())), "removed on close");
  }

  @Test
  void aRequestForABladeNotGreetedYetWaitsForItsAddress() throws Exception {
    DataLane a = lane(A, 8, Duration.ofSeconds(5));
    DataLane b = lane(B, 8, Duration.ofSeconds(5));
    b.serve((from, req) -> CompletableFuture.completedFuture(frame("pong")));
    CompletableFuture<DataLane.Frame> early = a.request(B, frame("ping"));
    assertTrue(!early.isDone());
    a.peerAt(B, "127.0.0.1", b.port(), b.key());
    assertEquals("pong", text(early.get(10, TimeUnit.SECONDS)));
  }

  @Test
  void aBladeThatLeftFailsAtOnceAndOneNeverGreetedTimesOut() throws Exception {
    DataLane a = lane(A, 8, Duration.ofMillis(300));
    DataLane b = lane(B, 8, Duration.ofSeconds(5));
    a.peerAt(B, "127.0.0.1", b.port(), b.key());
    a.peerGone(B, "left the cluster");
    DataLane.LaneException gone = assertInstanceOf(DataLane.LaneException.class, failure(a.request(B, frame("x"))));
    assertEquals(SmmHandler.Failure.UNREACHABLE, gone.failure());
    assertTrue(gone.getMessage().contains("left the cluster"), gone.getMessage());
    // Never greeted: nothing says it is gone, it is just out of reach.
    DataLane.LaneException never = assertInstanceOf(DataLane.LaneException.class,
        failure(a.request(new BladeId(9, 9, 9), frame("x"))));
    assertEquals(SmmHandler.Failure.NO_ROUTE, never.failure());
  }

  @Test
  void aWatchedBladeWhoseHostClosesTheConnectionIsReportedGoneAndOneThisSideLetGoIsNot() throws Exception {
    DataLane a = lane(A, 8, Duration.ofSeconds(5));
    java.util.concurrent.LinkedBlockingQueue<BladeId> gone = new java.util.concurrent.LinkedBlockingQueue<>();
    a.onGone(gone::add);
    // B stands in as a bare socket: it takes the connection, then its process "dies".
    try (java.net.ServerSocket b = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      a.peerAt(B, "127.0.0.1", b.getLocalPort(), new byte[32]);
      a.watch(B);
      try (java.net.Socket accepted = b.accept()) {
        assertEquals(null, gone.poll(300, TimeUnit.MILLISECONDS), "nothing is gone while the connection is open");
      }
      assertEquals(B, gone.poll(5, TimeUnit.SECONDS), "the host closed the watched connection");
      // A blade this side lets go (it left the cluster) is not reported: the cluster said so already.
      BladeId c = new BladeId(1, 1, 3);
      a.peerAt(c, "127.0.0.1", b.getLocalPort(), new byte[32]);
      a.watch(c);
      try (java.net.Socket accepted = b.accept()) {
        a.peerGone(c, "left the cluster");
        assertEquals(null, gone.poll(500, TimeUnit.MILLISECONDS));
      }
    }
    // Nobody listens any more: a refusal is evidence too.
    BladeId d = new BladeId(1, 1, 4);
    int closed;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    a.peerAt(d, "127.0.0.1", closed, new byte[32]);
    a.watch(d);
    assertEquals(d, gone.poll(5, TimeUnit.SECONDS));
  }

  @Test
  void aRefusedConnectionMeansTheProcessIsGoneAndNoRouteDoesNot() throws Exception {
    DataLane a = lane(A, 8, Duration.ofSeconds(5));
    int closed;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    // The host's kernel answers for a port nobody listens on: the blade's process is gone.
    a.peerAt(B, "127.0.0.1", closed, new byte[32]);
    DataLane.LaneException refused = assertInstanceOf(DataLane.LaneException.class, failure(a.request(B, frame("x"))));
    assertEquals(SmmHandler.Failure.UNREACHABLE, refused.failure(), refused.getMessage());
    // What a cut link gives (no route, a time-out) is not evidence of death.
    assertEquals(SmmHandler.Failure.NO_ROUTE, DataLane.classify(new java.net.NoRouteToHostException("No route to host")));
    assertEquals(SmmHandler.Failure.NO_ROUTE, DataLane.classify(new java.net.SocketTimeoutException("connect timed out")));
    assertEquals(SmmHandler.Failure.NO_ROUTE, DataLane.classify(new java.net.SocketException("Network is unreachable")));
    assertEquals(SmmHandler.Failure.UNREACHABLE, DataLane.classify(new java.io.EOFException()));
    assertEquals(SmmHandler.Failure.UNREACHABLE, DataLane.classify(new java.io.IOException("Connection reset by peer")));
  }

  @Test
  void anUnansweredRequestTimesOutAndFreesItsPlaceInTheWindow() throws Exception {
    DataLane a = lane(A, 1, Duration.ofMillis(300));
    DataLane b = lane(B, 8, Duration.ofSeconds(5));
    CompletableFuture<DataLane.Frame> never = new CompletableFuture<>();
    b.serve((from, req) -> text(req).equals("slow") ? never : CompletableFuture.completedFuture(frame("fast")));
    a.peerAt(B, "127.0.0.1", b.port(), b.key());
    DataLane.LaneException t = assertInstanceOf(DataLane.LaneException.class, failure(a.request(B, frame("slow"))));
    assertEquals(SmmHandler.Failure.TIMEOUT, t.failure());
    // The window of one is free again, and the late reply, when it comes, is dropped.
    CompletableFuture<DataLane.Frame> next = a.request(B, frame("again"));
    never.complete(frame("late"));
    assertEquals("fast", text(next.get(10, TimeUnit.SECONDS)));
  }

  @Test
  void aFullWindowThatStaysFullIsOverload() throws Exception {
    // Time-outs are swept every 2 s here, so both requests are judged in the same sweep.
    DataLane a = lane(A, 1, Duration.ofMillis(300), Duration.ofSeconds(2));
    DataLane b = lane(B, 8, Duration.ofSeconds(5));
    b.serve((from, req) -> new CompletableFuture<>());
    a.peerAt(B, "127.0.0.1", b.port(), b.key());
    CompletableFuture<DataLane.Frame> first = a.request(B, frame("first"));
    // The second waits in the queue for room that never comes.
    CompletableFuture<DataLane.Frame> second = a.request(B, frame("second"));
    assertFalse(second.isDone(), "queued, not failed at once");
    DataLane.LaneException o = assertInstanceOf(DataLane.LaneException.class, failure(second));
    assertEquals(SmmHandler.Failure.OVERLOADED, o.failure());
    assertEquals(SmmHandler.Failure.TIMEOUT,
        assertInstanceOf(DataLane.LaneException.class, failure(first)).failure());
    // A full queue is overload at once.
    List<CompletableFuture<DataLane.Frame>> flood = new ArrayList<>();
    for (int i = 0; i < QUEUE + 2; i++) flood.add(a.request(B, frame("flood" + i)));
    DataLane.LaneException full = assertInstanceOf(DataLane.LaneException.class, failure(flood.get(QUEUE + 1)));
    assertEquals(SmmHandler.Failure.OVERLOADED, full.failure());
    assertTrue(full.getMessage().contains("already wait"), full.getMessage());
  }

  @Test
  void garbageOnTheLaneClosesOnlyThatConnection() throws Exception {
    DataLane a = lane(A, 8, Duration.ofSeconds(5));
    DataLane b = lane(B, 8, Duration.ofSeconds(5));
    b.serve((from, req) -> CompletableFuture.completedFuture(frame("ok")));
    try (Socket s = new Socket("127.0.0.1", b.port())) {
      OutputStream out = s.getOutputStream();
      assertEquals(LaneCredential.NONCE, s.getInputStream().readNBytes(LaneCredential.NONCE).length, "its nonce");
      out.write(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20});
      out.flush();
      assertEquals(-1, s.getInputStream().read(), "the lane closes a connection that is not a lane client");
    }
    a.peerAt(B, "127.0.0.1", b.port(), b.key());
    assertEquals("ok", text(a.request(B, frame("still")).get(10, TimeUnit.SECONDS)));
  }

  /**
   * An outsider's greeting (issue 13's attack: a hello with a made-up blade id, then valid frames):
   * {@code key} null sends a credential of zeros, otherwise one made with {@code key}.
   */
  static int outsider(DataLane target, BladeId claimed, byte[] key) throws Exception {
    try (Socket s = new Socket("127.0.0.1", target.port())) {
      s.setSoTimeout(15_000);
      byte[] nonce = LaneGreeting.nonce(s.getInputStream());
      try {
        java.io.DataOutputStream out = new java.io.DataOutputStream(s.getOutputStream());
        out.write(LaneGreeting.of(key, nonce, claimed, B));
        byte[] header = "read".getBytes(StandardCharsets.UTF_8);
        out.writeInt(13 + header.length); // a well-formed request frame: length, type, id, header
        out.writeByte(1);
        out.writeLong(7);
        out.writeInt(header.length);
        out.write(header);
        out.flush();
        return s.getInputStream().read();
      } catch (java.net.SocketException closed) {
        return -1; // closed while the frame was sent or unread: a broken pipe or a reset
      }
    }
  }

  @Test
  void anOutsiderWithAMadeUpBladeIdGetsNothingAndABladeWithTheKeyIsServed() throws Exception {
    DataLane b = lane(B, 8, Duration.ofSeconds(5));
    java.util.concurrent.atomic.AtomicInteger served = new java.util.concurrent.atomic.AtomicInteger();
    b.serve((from, req) -> {
      served.incrementAndGet();
      return CompletableFuture.completedFuture(frame("data of " + from));
    });
    BladeId made = new BladeId(9, 9, 9);
    assertEquals(-1, outsider(b, made, null), "no credential: closed");
    assertEquals(-1, outsider(b, made, LaneCredential.newKey()), "a key of its own: closed");
    assertEquals(-1, outsider(b, A, LaneCredential.newKey()), "a real blade's id with a wrong key: closed");
    assertEquals(0, served.get(), "nothing was served to outsiders");
    // The same greeting made with the lane's key is served: the refusals above are the credential's.
    assertTrue(outsider(b, made, b.key()) >= 0, "a client that holds the key gets a reply");
    assertEquals(1, served.get());
  }

  @Test
  void aClientThatProvesNothingIsClosedWithinTheHelloTimeoutAndOneHostHoldsFewSuchConnections() throws Exception {
    DataLane a = lane(A, 8, Duration.ofSeconds(5));
    DataLane b = lane(B, 8, Duration.ofSeconds(5));
    b.serve((from, req) -> CompletableFuture.completedFuture(frame("ok")));
    List<Socket> idle = new ArrayList<>();
    try {
      for (int i = 0; i < LaneServer.MAX_UNAUTHENTICATED_PER_HOST; i++) {
        Socket s = new Socket("127.0.0.1", b.port());
        s.setSoTimeout(15_000);
        s.getInputStream().readNBytes(LaneCredential.NONCE);
        idle.add(s);
      }
      // One more from the same host is closed at once, before any nonce.
      try (Socket extra = new Socket("127.0.0.1", b.port())) {
        extra.setSoTimeout(15_000);
        assertEquals(-1, extra.getInputStream().read(), "over the host's cap: closed without a greeting");
      }
      long t0 = System.nanoTime();
      for (Socket s : idle) {
        assertEquals(-1, s.getInputStream().read(), "an idle connection is closed");
      }
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      assertTrue(took.compareTo(LaneServer.HELLO_TIMEOUT.plusSeconds(3)) < 0, "closed within the hello timeout: " + took);
    } finally {
      for (Socket s : idle) s.close();
    }
    // Once they are gone, a blade of this host connects again.
    a.peerAt(B, "127.0.0.1", b.port(), b.key());
    assertEquals("ok", text(a.request(B, frame("after")).get(10, TimeUnit.SECONDS)));
  }

  /**
   * Payloads beyond a connection's reused buffer share one budget: with it taken by a request
   * its handler holds, the next large one is answered "overloaded" (the requester's error is
   * OVERLOADED, never a failure that would blame the target's devices), its payload is read past
   * and the connection goes on; once the first is answered there is room again.
   */
  @Test
  void largePayloadsShareOneBudgetAndAFullOneIsOverloadNotFailure() throws Exception {
    DataLane b = track(DataLane.start(B, "127.0.0.1", 0, new OobSettings(8, QUEUE, Duration.ofSeconds(1),
        Duration.ofMillis(50), Duration.ofSeconds(1), false, true, 64L << 20)));
    CompletableFuture<DataLane.Frame> held = new CompletableFuture<>();
    java.util.concurrent.atomic.AtomicInteger handled = new java.util.concurrent.atomic.AtomicInteger();
    b.serve((from, req) -> {
      handled.incrementAndGet();
      return req.payload().remaining() > (30 << 20) && !held.isDone() ? held : CompletableFuture.completedFuture(frame("ok"));
    });
    DataLane a = lane(A, 8, Duration.ofSeconds(30));
    a.peerAt(B, "127.0.0.1", b.port(), b.key());
    DataLane.Frame big = new DataLane.Frame((byte) 1, ByteBuffer.allocate(0), ByteBuffer.allocate(40 << 20));
    CompletableFuture<DataLane.Frame> first = a.request(B, big);
    Throwable second = failure(a.request(B, big));
    assertInstanceOf(DataLane.LaneException.class, second);
    assertEquals(SmmHandler.Failure.OVERLOADED, ((DataLane.LaneException) second).failure(), second.getMessage());
    assertTrue(second.getMessage().contains("data-lane-memory"), second.getMessage());
    assertEquals("ok", text(a.request(B, frame("small")).get(5, TimeUnit.SECONDS)), "the connection goes on");
    assertFalse(first.isDone(), "the first still holds its room");
    held.complete(frame("first"));
    assertEquals("first", text(first.get(5, TimeUnit.SECONDS)));
    assertEquals("ok", text(a.request(B, big).get(10, TimeUnit.SECONDS)), "room again");
    assertEquals(3, handled.get(), "the first, the small and the last: the overloaded one never reached the handler");
  }

  /** One blade holds a few connections to a lane, not as many as it opens. */
  @Test
  void oneBladeHoldsAtMostAFewAuthenticatedConnections() throws Exception {
    DataLane b = lane(B, 8, Duration.ofSeconds(5));
    List<Socket> held = new ArrayList<>();
    try {
      for (int i = 0; i < LaneServer.MAX_CONNECTIONS_PER_PEER; i++) {
        Socket s = new Socket("127.0.0.1", b.port());
        held.add(s);
        s.getOutputStream().write(LaneGreeting.of(b.key(), LaneGreeting.nonce(s.getInputStream()), A, B));
      }
      // Each is served: a request on the last one is answered.
      b.serve((from, req) -> CompletableFuture.completedFuture(frame("served")));
      try (Socket extra = new Socket("127.0.0.1", b.port())) {
        extra.setSoTimeout(10_000);
        extra.getOutputStream().write(LaneGreeting.of(b.key(), LaneGreeting.nonce(extra.getInputStream()), A, B));
        int got;
        try {
          got = extra.getInputStream().read();
        } catch (java.net.SocketException reset) {
          got = -1;
        }
        assertEquals(-1, got, "one connection too many is closed");
      }
    } finally {
      for (Socket s : held) s.close();
    }
  }
}
