package io.rackshare.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rackshare.testkit.TestBlades;
import io.rackshare.testkit.Tool;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13's memory attack on the NBD front end: many clients each send a 32 MiB WRITE header
 * (and the start of its payload) and hold. Every connection shares one budget for payloads, which
 * a WRITE reserves a MiB at a time as its payload arrives; a client that stops sending is closed
 * after the stall time-out, and a request that finds no room
 * in time gets ENOMEM with the stream still in step; meanwhile other clients are served (qemu-io,
 * a real client) and nothing runs out of memory. Blade 1 closes stalled senders fast (2 s) and
 * waits long for room; blade 2 waits briefly (1 s) and lets stalled senders hold longer.
 */
class NbdMemoryBudgetTest {

  static final Duration T = Duration.ofSeconds(60);
  static final long SIZE = 64L << 20;
  static final int MIB = 1 << 20;

  @TempDir static Path root;
  static TestBlades blades;

  @BeforeAll
  static void start() throws Exception {
    blades = new TestBlades(root, """
        rackshare.volumes = [{ name = v0, members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(0)"] }]
        rackshare.nbd { enabled = on, port = 0, memory-budget = 64MiB, max-payload = 32MiB }
        """);
    blades.start(1, "[{ file = disk0.img, size = 64MiB }]",
        "rackshare.nbd { payload-stall-timeout = 2s, memory-wait = 20s }");
    blades.start(2, "[]", "rackshare.nbd { payload-stall-timeout = 30s, min-payload-rate = 1KiB, memory-wait = 1s }");
    for (int slot = 1; slot <= 2; slot++) blades.rackshare(slot).awaitVolume("v0", T).toCompletableFuture().get();
  }

  @AfterAll
  static void stop() {
    blades.close();
  }

  static NbdServer server(int slot) {
    return blades.rackshare(slot).nbdServer().orElseThrow();
  }

  static int port(int slot) {
    return server(slot).tcpAddress().getPort();
  }

  /** A raw client up to the start of transmission (NBD_OPT_EXPORT_NAME, no zeroes). */
  static Socket transmission(int slot) throws Exception {
    return RawClient.transmission(port(slot), SIZE, (int) T.toMillis());
  }

  static void request(DataOutputStream out, int type, long handle, long offset, int length) throws Exception {
    out.writeInt(0x25609513);
    out.writeShort(0);
    out.writeShort(type);
    out.writeLong(handle);
    out.writeLong(offset);
    out.writeInt(length);
  }

  /** A client that sends a 32 MiB WRITE's header and its first KiB, then holds. */
  static Socket holder(int slot) throws Exception {
    Socket s = transmission(slot);
    DataOutputStream out = new DataOutputStream(s.getOutputStream());
    request(out, 1, 7, 0, 32 * MIB);
    out.write(new byte[1024]);
    out.flush();
    return s;
  }

  /** The error of the simple reply to {@code handle}. */
  static int reply(DataInputStream in, long handle) throws Exception {
    assertEquals(0x67446698, in.readInt());
    int error = in.readInt();
    assertEquals(handle, in.readLong());
    return error;
  }

  void awaitWholeBudget(int slot) {
    TestProbe<Object> probe = blades.kit(1).createTestProbe();
    probe.awaitAssert(T, Duration.ofMillis(200), () -> {
      assertEquals(64L << 20, server(slot).memoryAvailable(), "every reservation was given back");
      return null;
    });
  }

  @Test
  void clientsThatSendAHeaderAndHoldDoNotStarveOthers() throws Exception {
    List<Socket> holders = new ArrayList<>();
    try {
      for (int i = 0; i < 40; i++) holders.add(holder(1));
      // A real client meanwhile: an 8 MiB write and its read-back.
      Tool.run(T, "qemu-io", "-f", "raw", "-c", "write -P 0x5c 1M 8M", "-c", "read -P 0x5c 1M 8M",
          "nbd://127.0.0.1:" + port(1) + "/v0").ok();
      // Each holder is closed by the server (its payload stalled), with nothing written.
      for (Socket h : holders) assertEquals(-1, h.getInputStream().read(), "a stalled sender is closed");
    } finally {
      for (Socket h : holders) h.close();
    }
    awaitWholeBudget(1);
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "read -P 0 0 1M", "nbd://127.0.0.1:" + port(1) + "/v0").ok();
  }

  @Test
  void aRequestThatFindsNoRoomGetsEnomemAndTheConnectionGoesOn() throws Exception {
    try (Socket client = transmission(2)) {
      DataInputStream in = new DataInputStream(client.getInputStream());
      DataOutputStream out = new DataOutputStream(client.getOutputStream());
      byte[] payload = new byte[MIB];
      java.util.Arrays.fill(payload, (byte) 0x3d);
      List<Socket> holders = new ArrayList<>();
      try {
        // Each holder has the first MiB of its payload reserved: 64 of them take the whole budget.
        for (int i = 0; i < 64; i++) holders.add(holder(2));
        TestProbe<Object> probe = blades.kit(2).createTestProbe();
        probe.awaitAssert(T, Duration.ofMillis(50), () -> {
          assertEquals(0, server(2).memoryAvailable());
          return null;
        });
        request(out, 1, 1, 40L * MIB, MIB);
        out.write(payload);
        request(out, 0, 2, 0, 4096); // a READ needs room too
        request(out, 3, 3, 0, 0); // a FLUSH does not
        out.flush();
        assertEquals(12, reply(in, 1), "ENOMEM for the WRITE");
        assertEquals(12, reply(in, 2), "ENOMEM for the READ");
        assertEquals(0, reply(in, 3), "the stream is in step: the FLUSH is answered");
      } finally {
        for (Socket h : holders) h.close();
      }
      // The holders went: the same request now has room.
      awaitWholeBudget(2);
      request(out, 1, 4, 40L * MIB, MIB);
      out.write(payload);
      out.flush();
      assertEquals(0, reply(in, 4));
    }
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "read -P 0x3d 40M 1M", "nbd://127.0.0.1:" + port(1) + "/v0").ok();
    awaitWholeBudget(2);
  }
}
