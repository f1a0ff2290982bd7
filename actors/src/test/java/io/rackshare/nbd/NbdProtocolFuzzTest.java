package io.rackshare.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.rackshare.testkit.FuzzClient;
import io.rackshare.testkit.Unexpected;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
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

  @BeforeAll
  static void start() throws IOException {
    Unexpected.watch();
    device = new MemoryDevice(SIZE, false);
    // Small limits, so that inputs reach them: 1 MiB requests, 8 MiB for all payloads.
    server = NbdServer.start(new NbdSettings(true, "127.0.0.1", 0, Optional.empty(), 16, 1 << 20,
        Duration.ofSeconds(5), Duration.ofSeconds(5), BUDGET, Duration.ofMillis(200), 64, 64, 1 << 20,
        Duration.ofSeconds(2), NbdTls.Mode.OFF, "", false), device.exports());
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
