package io.rackshare.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * NBD's soft disconnect, as a blade's coordinated shutdown runs it ({@link NbdServer#shutdown}):
 * the listener closes at once; a request already in flight is answered (and its write kept); a
 * request read after the shutdown began is answered {@code ESHUTDOWN} with the stream in step (a
 * write's payload is read and dropped); then the connection closes. A request that never
 * completes holds the shutdown no longer than its time-out. A raw client, so that the test
 * decides exactly what is in flight when.
 */
class NbdGracefulShutdownTest {
  static final int SIZE = 4 << 20;
  static final int ESHUTDOWN = 108;

  MemoryDevice device = new MemoryDevice(SIZE, false);
  NbdServer server;

  NbdServer start() throws IOException {
    server = NbdServer.start(new NbdSettings(true, "127.0.0.1", 0, Optional.empty(), 16, 1 << 20,
        Duration.ofSeconds(5), Duration.ofSeconds(5), 64L << 20, Duration.ofSeconds(5), 64, 64, 1 << 20,
        Duration.ofSeconds(5), NbdTls.Mode.OFF, "", false), device.exports());
    return server;
  }

  @AfterEach
  void stop() {
    if (server != null) server.close();
  }

  Socket transmission() throws Exception {
    return RawClient.transmission(server.tcpAddress().getPort(), SIZE, 30_000);
  }

  static void write(DataOutputStream out, long handle, long offset, byte[] data) throws IOException {
    out.writeInt(0x25609513);
    out.writeShort(0);
    out.writeShort(1);
    out.writeLong(handle);
    out.writeLong(offset);
    out.writeInt(data.length);
    out.write(data);
    out.flush();
  }

  static int reply(DataInputStream in, long handle) throws IOException {
    assertEquals(0x67446698, in.readInt());
    int error = in.readInt();
    assertEquals(handle, in.readLong(), "the reply's handle");
    return error;
  }

  static byte[] filled(int length, int value) {
    byte[] b = new byte[length];
    Arrays.fill(b, (byte) value);
    return b;
  }

  @Test
  void aWriteInFlightIsAnsweredAndKeptALaterOneGetsEshutdownThenTheConnectionCloses() throws Exception {
    start();
    try (Socket s = transmission()) {
      DataInputStream in = new DataInputStream(s.getInputStream());
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      CompletableFuture<Void> gate = new CompletableFuture<>();
      device.writeGate = gate;
      write(out, 1, 0, filled(64 << 10, 0x11));
      awaitInFlight(0x11);
      // The write is stored and waits at the gate, in flight.
      CompletableFuture<Boolean> shutdown = CompletableFuture.supplyAsync(() -> {
        try {
          return server.shutdown(Duration.ofSeconds(20));
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
      awaitRefused();
      write(out, 2, 1 << 20, filled(64 << 10, 0x22));
      assertEquals(ESHUTDOWN, reply(in, 2), "a request read after the shutdown began");
      assertFalse(shutdown.isDone(), "the shutdown waits for the write in flight");
      gate.complete(null);
      assertEquals(0, reply(in, 1), "the write in flight is answered");
      assertEquals(-1, in.read(), "then the connection closes");
      assertTrue(shutdown.get(10, TimeUnit.SECONDS), "nothing was left in flight");
      assertArrayEquals(filled(64 << 10, 0x11), Arrays.copyOfRange(device.bytes, 0, 64 << 10));
      assertArrayEquals(new byte[64 << 10], Arrays.copyOfRange(device.bytes, 1 << 20, (1 << 20) + (64 << 10)),
          "the refused write's payload was dropped");
    }
  }

  @Test
  void aRequestThatNeverCompletesHoldsTheShutdownOnlyUntilItsTimeout() throws Exception {
    start();
    try (Socket s = transmission()) {
      DataInputStream in = new DataInputStream(s.getInputStream());
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      device.writeGate = new CompletableFuture<>();
      write(out, 1, 0, filled(4096, 0x33));
      awaitInFlight(0x33);
      long start = System.nanoTime();
      assertFalse(server.shutdown(Duration.ofMillis(700)), "a request was left in flight");
      long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(took >= 700 && took < 5_000, "the shutdown took " + took + " ms");
      assertEquals(-1, in.read(), "its connection is closed, unanswered");
    }
  }

  /**
   * Whether nothing listens on the server's port: a connection is refused, or (where the port is
   * in the ephemeral range) the kernel connected the socket to itself, which it does only when
   * nothing listens there.
   */
  boolean refused() throws IOException {
    int port = server.tcpAddress().getPort();
    try (Socket s = new Socket("127.0.0.1", port)) {
      return s.getLocalPort() == port;
    } catch (ConnectException refused) {
      return true;
    }
  }

  /** The listener is closed: a new client is refused. */
  void awaitRefused() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!refused()) {
      if (System.nanoTime() > deadline) throw new AssertionError("the listener still takes clients");
      Thread.sleep(10);
    }
  }

  /** The server took the write's payload: it is in flight (the device stored it). */
  void awaitInFlight(int value) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (device.bytes[0] != (byte) value) {
      if (System.nanoTime() > deadline) throw new AssertionError("the write never reached the device");
      Thread.sleep(5);
    }
  }

  @Test
  void afterTheShutdownNoClientIsTaken() throws Exception {
    start();
    assertTrue(server.shutdown(Duration.ofSeconds(1)), "nothing in flight");
    assertTrue(refused(), "no client is taken after the shutdown");
  }
}
