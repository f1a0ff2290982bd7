package io.rackshare.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.io.TlsContexts;
import io.rackshare.map.BladeId;
import io.rackshare.smm.DataLane;
import io.rackshare.smm.OobSettings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TCP data lane under mutual TLS (the blades' certificates of the cluster's CA): what crosses
 * the network is ciphertext (a recording proxy between two blades finds no byte of a request's
 * payload, and finds it in clear with TLS off, so the test sees what it claims to), and a lane
 * with a certificate of another CA gets nothing.
 */
class DataLaneTlsTest {

  static final BladeId A = new BladeId(1, 1, 1);
  static final BladeId B = new BladeId(1, 1, 2);
  static final String SECRET = "the-payload-an-eavesdropper-wants";

  @TempDir Path dir;
  final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : open) c.close();
    System.clearProperty("rackshare.lane.tls-provider");
  }

  /** The lane's TLS engine for the lanes a test starts from now on: "boringssl" or "jdk". */
  static void provider(String provider) {
    System.setProperty("rackshare.lane.tls-provider", provider);
  }

  TlsContexts.Material blade(ClusterCa ca, String name) throws IOException {
    return TlsContexts.material(ca.issue(name, List.of("127.0.0.1"), dir.resolve(ca.cluster() + "-" + name)), "test");
  }

  DataLane lane(BladeId self, TlsContexts.Material tls) throws IOException {
    DataLane l = DataLane.start(self, "127.0.0.1", 0,
        new OobSettings(8, 64, Duration.ofSeconds(5), Duration.ofMillis(50), Duration.ofSeconds(1)),
        tls == null ? null : () -> tls);
    open.add(l);
    l.serve((from, r) -> CompletableFuture.completedFuture(new DataLane.Frame((byte) 2,
        ByteBuffer.wrap(("echo " + StandardCharsets.UTF_8.decode(r.payload().duplicate())).getBytes(StandardCharsets.UTF_8)),
        ByteBuffer.allocate(0))));
    return l;
  }

  /** A TCP proxy to {@code port} that keeps every byte it forwards, both ways. */
  static final class Recorder implements AutoCloseable {
    final ServerSocket server = new ServerSocket(0, 8, java.net.InetAddress.getLoopbackAddress());
    final ByteArrayOutputStream seen = new ByteArrayOutputStream();
    /** What the connecting side sent, alone. */
    final ByteArrayOutputStream fromClient = new ByteArrayOutputStream();

    Recorder(int port) throws IOException {
      Thread t = new Thread(() -> {
        try {
          while (true) {
            Socket in = server.accept();
            Socket out = new Socket("127.0.0.1", port);
            pipe(in.getInputStream(), out.getOutputStream(), fromClient);
            pipe(out.getInputStream(), in.getOutputStream(), null);
          }
        } catch (IOException closed) {
          // the test is over
        }
      }, "recorder");
      t.setDaemon(true);
      t.start();
    }

    void pipe(InputStream from, OutputStream to, ByteArrayOutputStream alone) {
      Thread t = new Thread(() -> {
        byte[] buf = new byte[8192];
        try {
          for (int n; (n = from.read(buf)) >= 0; ) {
            synchronized (seen) {
              seen.write(buf, 0, n);
              if (alone != null) alone.write(buf, 0, n);
            }
            to.write(buf, 0, n);
          }
        } catch (IOException ended) {
          // either side closed
        }
      }, "recorder-pipe");
      t.setDaemon(true);
      t.start();
    }

    String seen() {
      synchronized (seen) {
        return seen.toString(StandardCharsets.ISO_8859_1);
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }

  String exchangeThroughRecorder(TlsContexts.Material a, TlsContexts.Material b, Recorder[] recorder) throws Exception {
    DataLane target = lane(B, b);
    DataLane client = lane(A, a);
    Recorder r = new Recorder(target.port());
    open.add(r);
    recorder[0] = r;
    client.peerAt(B, "127.0.0.1", r.server.getLocalPort(), target.key());
    DataLane.Frame reply = client.request(B, new DataLane.Frame((byte) 1, ByteBuffer.allocate(0),
        ByteBuffer.wrap(SECRET.getBytes(StandardCharsets.UTF_8)))).get(10, TimeUnit.SECONDS);
    return StandardCharsets.UTF_8.decode(reply.header()).toString();
  }

  @ParameterizedTest
  @ValueSource(strings = {"boringssl", "jdk"})
  void whatCrossesTheNetworkIsCiphertext(String engine) throws Exception {
    provider(engine);
    ClusterCa ca = ClusterCa.create(dir.resolve("ca"), "rackshare");
    Recorder[] r = new Recorder[1];
    assertEquals("echo " + SECRET, exchangeThroughRecorder(blade(ca, "a"), blade(ca, "b"), r));
    assertTrue(r[0].seen().length() > SECRET.length(), "the recorder saw the exchange");
    assertFalse(r[0].seen().contains(SECRET), "no clear text of the request on the wire");
    assertFalse(r[0].seen().contains("echo "), "nor of the reply");
  }

  /**
   * A small frame is one TLS record, not one per piece: BoringSSL's engine makes a record of each
   * buffer it is given, and a frame's start, header and payload are three (three encryptions,
   * three decryptions; 4 KiB requests at depth 32 ran 28 % slower so).
   */
  @ParameterizedTest
  @ValueSource(strings = {"boringssl", "jdk"})
  void smallFramesAreOneRecordEach(String engine) throws Exception {
    provider(engine);
    ClusterCa ca = ClusterCa.create(dir.resolve("ca"), "rackshare");
    DataLane target = lane(B, blade(ca, "b"));
    DataLane client = lane(A, blade(ca, "a"));
    Recorder r = new Recorder(target.port());
    open.add(r);
    client.peerAt(B, "127.0.0.1", r.server.getLocalPort(), target.key());
    DataLane.Frame small = new DataLane.Frame((byte) 1, ByteBuffer.wrap(new byte[16]), ByteBuffer.wrap(new byte[4096]));
    client.request(B, small).get(10, TimeUnit.SECONDS); // connected, greeted
    int before = applicationRecords(r);
    int frames = 200;
    for (int i = 0; i < frames; i++) client.request(B, small).get(10, TimeUnit.SECONDS);
    int sent = applicationRecords(r) - before;
    assertTrue(sent <= frames, frames + " small frames went out as " + sent + " records");
    assertTrue(sent >= 1, "the recorder saw them");
  }

  /** The TLS application-data records (type 23) the client sent so far through {@code r}. */
  static int applicationRecords(Recorder r) {
    byte[] b;
    synchronized (r.seen) {
      b = r.fromClient.toByteArray();
    }
    int n = 0;
    for (int i = 0; i + 5 <= b.length; i += 5 + (((b[i + 3] & 0xff) << 8) | (b[i + 4] & 0xff))) {
      if (b[i] == 23) n++;
    }
    return n;
  }

  @Test
  void withoutTlsTheRecorderReadsThePayload() throws Exception {
    Recorder[] r = new Recorder[1];
    assertEquals("echo " + SECRET, exchangeThroughRecorder(null, null, r));
    assertTrue(r[0].seen().contains(SECRET), "the control: in clear without TLS");
  }

  /**
   * A target must show a certificate for the address the lane connected to: a blade of the same
   * CA, with its own certificate (for its own address), cannot stand in for another.
   */
  @ParameterizedTest
  @ValueSource(strings = {"boringssl", "jdk"})
  void aCertificateForAnotherAddressIsNotTheTargetsAndIsRefused(String engine) throws Exception {
    provider(engine);
    ClusterCa ca = ClusterCa.create(dir.resolve("ca"), "rackshare");
    DataLane impostor = lane(B, TlsContexts.material(ca.issue("elsewhere", List.of("10.9.9.9"),
        dir.resolve("elsewhere")), "test"));
    DataLane client = lane(A, blade(ca, "a"));
    client.peerAt(B, "127.0.0.1", impostor.port(), impostor.key());
    ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> client.request(B, new DataLane.Frame((byte) 1, ByteBuffer.allocate(0), ByteBuffer.allocate(0)))
            .get(10, TimeUnit.SECONDS));
    assertInstanceOf(DataLane.LaneException.class, e.getCause());
    assertTrue(e.getCause().getMessage().contains("subject alternative names"), e.getCause().getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"boringssl", "jdk"})
  void aLaneWithACertificateOfAnotherCaGetsNothing(String engine) throws Exception {
    provider(engine);
    ClusterCa ca = ClusterCa.create(dir.resolve("ca"), "rackshare");
    ClusterCa other = ClusterCa.create(dir.resolve("other"), "rackshare");
    DataLane target = lane(B, blade(ca, "b"));
    int[] served = {0};
    target.serve((from, r) -> {
      served[0]++;
      return CompletableFuture.completedFuture(r);
    });
    DataLane rogue = lane(A, blade(other, "rogue"));
    // It even holds the lane's key (which only a blade with the OOB channel's certificate learns).
    rogue.peerAt(B, "127.0.0.1", target.port(), target.key());
    ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> rogue.request(B, new DataLane.Frame((byte) 1, ByteBuffer.allocate(0), ByteBuffer.allocate(0)))
            .get(10, TimeUnit.SECONDS));
    assertInstanceOf(DataLane.LaneException.class, e.getCause());
    assertEquals(0, served[0], "nothing was served");
    // A plain client (no TLS at all) gets no nonce: the target waits for a TLS ClientHello.
    try (Socket s = new Socket("127.0.0.1", target.port())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(new byte[64]);
      int first;
      try {
        first = s.getInputStream().read();
      } catch (java.net.SocketException reset) {
        first = -1;
      }
      assertTrue(first == -1 || first == 0x15, "closed, or a TLS alert (0x15): " + first);
    }
    assertEquals(0, served[0]);
  }

  /**
   * Frames of many records each way, many in flight at once, and a reply sent from a file region
   * (the sendfile path, encrypted here): every byte comes back as sent, with either engine.
   */
  @ParameterizedTest
  @ValueSource(strings = {"boringssl", "jdk"})
  void largeFramesManyAtOnceAndFileRegionsArriveIntact(String engine) throws Exception {
    provider(engine);
    ClusterCa ca = ClusterCa.create(dir.resolve("ca"), "rackshare");
    Path file = dir.resolve("region");
    byte[] content = new byte[3 << 20];
    new java.util.Random(7).nextBytes(content);
    java.nio.file.Files.write(file, content);
    java.nio.channels.FileChannel region = java.nio.channels.FileChannel.open(file);
    open.add(region);
    DataLane target = lane(B, blade(ca, "b"));
    target.serve((from, r) -> {
      if (r.type() == 3) {
        long offset = r.header().getLong(0);
        int length = r.header().getInt(8);
        return CompletableFuture.completedFuture(new DataLane.Frame((byte) 2, ByteBuffer.allocate(0), ByteBuffer.allocate(0),
            new DataLane.Transfer() {
              @Override
              public long size() {
                return length;
              }

              @Override
              public void writeTo(java.nio.channels.WritableByteChannel ch) throws IOException {
                long done = 0;
                while (done < length) done += region.transferTo(offset + done, length - done, ch);
              }
            }));
      }
      ByteBuffer copy = ByteBuffer.allocate(r.payload().remaining());
      copy.put(r.payload().duplicate()).flip();
      return CompletableFuture.completedFuture(new DataLane.Frame((byte) 2, ByteBuffer.allocate(0), copy));
    });
    DataLane client = lane(A, blade(ca, "a"));
    client.peerAt(B, "127.0.0.1", target.port(), target.key());
    assertEquals(engine.equals("jdk") ? "JDK" : "BoringSSL", target.tlsProvider());
    java.util.Random random = new java.util.Random(11);
    for (int round = 0; round < 3; round++) {
      List<byte[]> sent = new ArrayList<>();
      List<CompletableFuture<DataLane.Frame>> echoes = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        byte[] b = new byte[i == 0 ? 1 : random.nextInt(2 << 20)];
        random.nextBytes(b);
        sent.add(b);
        echoes.add(client.request(B, new DataLane.Frame((byte) 1, ByteBuffer.allocate(0), ByteBuffer.wrap(b)),
            Duration.ofSeconds(30)));
      }
      long offset = random.nextInt(1 << 20);
      int length = (2 << 20) + random.nextInt(4096);
      DataLane.Frame fromFile = client.request(B, new DataLane.Frame((byte) 3,
          ByteBuffer.allocate(12).putLong(offset).putInt(length).flip(), ByteBuffer.allocate(0)), Duration.ofSeconds(30))
          .get(30, TimeUnit.SECONDS);
      assertEquals(ByteBuffer.wrap(content, (int) offset, length), fromFile.payload(), "the file region, byte for byte");
      for (int i = 0; i < sent.size(); i++) {
        DataLane.Frame echo = echoes.get(i).get(30, TimeUnit.SECONDS);
        assertEquals(ByteBuffer.wrap(sent.get(i)), echo.payload(), "echo " + i + " of round " + round);
      }
    }
  }
}
