package io.rackshare.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.rackshare.access.BlockDevice;
import io.rackshare.testkit.FuzzClient;
import io.rackshare.testkit.Unexpected;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Jazzer against the NBD server's handshake and request parser, over a real TCP connection to a
 * real {@link NbdServer} exporting a device in memory: whatever bytes a client sends (then closing
 * its side), the server ends the connection within 2 s, gives back every byte of
 * payload memory it reserved, never asks the device for a range outside it (the device throws),
 * and logs no error or stack trace. The seeds ({@code NbdProtocolFuzzTestInputs/}: every option,
 * every command, oversized and overflowing requests, half-sent payloads) run in every build as
 * regression tests; {@code bench/fuzz.sh} fuzzes for longer, and the suite fuzzes for a short
 * slice (actors/pom.xml).
 */
class NbdProtocolFuzzTest {

  static final int SIZE = 1 << 20;
  static final long BUDGET = 8L << 20;
  static NbdServer server;
  static MemoryDevice device;

  /** A device in memory that refuses, loudly, any range the server should not have passed on. */
  static final class MemoryDevice implements BlockDevice {
    final byte[] bytes = new byte[SIZE];
    final java.util.concurrent.atomic.AtomicInteger outOfRange = new java.util.concurrent.atomic.AtomicInteger();

    @Override
    public String name() {
      return "v0";
    }

    @Override
    public long size() {
      return SIZE;
    }

    @Override
    public int blockSize() {
      return 512;
    }

    private int[] range(long offset, long length) {
      if (offset < 0 || length < 0 || offset + length > SIZE || offset + length < 0) {
        outOfRange.incrementAndGet();
        throw new IllegalStateException("the server passed on an out-of-range request: " + offset + "+" + length);
      }
      return new int[] {(int) offset, (int) (offset + length)};
    }

    @Override
    public synchronized CompletionStage<byte[]> read(long offset, int length) {
      int[] r = range(offset, length);
      return CompletableFuture.completedFuture(Arrays.copyOfRange(bytes, r[0], r[1]));
    }

    @Override
    public synchronized CompletionStage<Void> write(long offset, ByteBuffer data, boolean fua) {
      int[] r = range(offset, data.remaining());
      data.get(bytes, r[0], r[1] - r[0]);
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public synchronized CompletionStage<Void> writeZeroes(long offset, long length, boolean fua) {
      int[] r = range(offset, length);
      Arrays.fill(bytes, r[0], r[1], (byte) 0);
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> flush() {
      return CompletableFuture.completedFuture(null);
    }
  }

  @BeforeAll
  static void start() throws IOException {
    Unexpected.watch();
    device = new MemoryDevice();
    NbdExports exports = new NbdExports() {
      @Override
      public List<String> names() {
        return List.of("v0");
      }

      @Override
      public Optional<BlockDevice> open(String name) {
        return name.isEmpty() || name.equals("v0") ? Optional.of(device) : Optional.empty();
      }
    };
    // Small limits, so that inputs reach them: 1 MiB requests, 8 MiB for all payloads.
    server = NbdServer.start(new NbdSettings(true, "127.0.0.1", 0, Optional.empty(), 16, 1 << 20,
        Duration.ofSeconds(5), Duration.ofSeconds(5), BUDGET, Duration.ofMillis(200), 64, 64, 1 << 20,
        Duration.ofSeconds(2), NbdTls.Mode.OFF, "", false), exports);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @FuzzTest(maxDuration = "10s")
  void anyBytesEndTheConnectionCleanly(byte[] input) throws Exception {
    int mark = Unexpected.watch().mark();
    // Once the client's side has ended nothing is worth waiting for: requests in flight are on a
    // device in memory, and room in the budget is waited for at most 200 ms.
    FuzzClient.sendAndDrain(server.tcpAddress().getPort(), input, Duration.ofSeconds(2));
    // The connection is gone and its memory is back (the close runs on the server's threads).
    FuzzClient.await(() -> server.connectionCount() == 0 && server.memoryAvailable() == BUDGET, Duration.ofSeconds(3));
    assertEquals(0, server.connectionCount(), "the connection ended");
    assertEquals(BUDGET, server.memoryAvailable(), "every reserved byte was given back");
    assertEquals(0, device.outOfRange.get(), "requests outside the device reached it");
    Unexpected.watch().noneSince(mark, "after " + input.length + " bytes");
  }
}
