package io.rackshare.console;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.rackshare.testkit.FuzzClient;
import io.rackshare.testkit.Unexpected;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Jazzer against the console station's two listeners, over real TCP connections: the RFB server
 * (handshake, security types, VNC authentication, every client message: pixel formats, encodings,
 * update requests, keys, pointer, cut text) and the web face (HTTP requests, the WebSocket upgrade
 * and WebSocket frames, bridged to RFB, and the audio WebSocket's answer and what follows it). Whatever bytes a client sends, nothing logs an error or a
 * stack trace, and the RFB server closes the connection within a bound once the client's side
 * ends (the web face keeps it until its idle time-out, as HTTP servers do). The view's keys go nowhere (no shell runs here): the fuzzer types into a sink that only
 * counts.
 *
 * <p>Inputs: the first byte chooses the listener (0: RFB without a password, as on loopback; 1:
 * RFB with one; anything else: the web face), the rest is what the client sends. Seeds in {@code
 * ConsoleStationFuzzTestInputs/}.
 */
class ConsoleStationFuzzTest {

  static final ActorTestKit kit = ActorTestKit.create();
  static final AtomicLong keys = new AtomicLong();
  static RfbServer open;
  static RfbServer guarded;
  static RfbServer bridged;
  static ServerBinding web;

  @BeforeAll
  static void start() throws Exception {
    Unexpected.watch();
    ConsoleView view = new ConsoleView(b -> keys.addAndGet(b.length));
    int cells = 80 * 25;
    int[] blank = new int[cells];
    Arrays.fill(blank, ' ');
    view.show(new ConsoleDriver.ScreenImage(80, 25, blank, new int[cells], new int[cells], new int[cells], 0, 0, true,
        0, false, 1));
    open = RfbServer.start(new RfbServer.Settings("127.0.0.1", 0, "", 14, "fuzz"), view);
    guarded = RfbServer.start(new RfbServer.Settings("127.0.0.1", 0, "fuzz-pw", 14, "fuzz", "view-pw"), view);
    bridged = RfbServer.start(new RfbServer.Settings("127.0.0.1", 0, "web-pw", 14, "fuzz"), view);
    web = StationWeb.start(kit.system(), "127.0.0.1", 0, bridged.address(), null, "/novnc/core/rfb.js", List.of(),
            null, new AudioSocket(kit.system(), new AudioView(), bridged))
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    open.close();
    guarded.close();
    bridged.close();
    kit.shutdownTestKit();
  }

  @FuzzTest(maxDuration = "10s")
  void anyBytesFromAViewerEndCleanly(byte[] input) throws Exception {
    if (input.length == 0) return;
    int port = switch (input[0]) {
      case 0 -> open.address().getPort();
      case 1 -> guarded.address().getPort();
      default -> web.localAddress().getPort();
    };
    int mark = Unexpected.watch().mark();
    byte[] bytes = Arrays.copyOfRange(input, 1, input.length);
    if (input[0] == 0 || input[0] == 1) {
      FuzzClient.sendAndDrain(port, bytes, Duration.ofSeconds(3));
    } else {
      // HTTP keeps a half-closed connection until its idle time-out (StationWebTest checks that
      // bound): here, the answers are read until the server falls quiet.
      FuzzClient.sendAndRead(port, bytes, Duration.ofMillis(500));
    }
    Unexpected.watch().noneSince(mark, "after " + (input.length - 1) + " bytes to listener " + input[0]);
  }
}
