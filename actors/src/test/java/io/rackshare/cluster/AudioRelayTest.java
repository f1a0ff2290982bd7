package io.rackshare.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rackshare.console.AudioView;
import io.rackshare.map.BladeId;
import io.rackshare.testkit.AudioClient;
import io.rackshare.testkit.TestBlades;
import io.rackshare.testkit.Tone;
import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console station relays the audio of the blade its console shows, over the OOB channel, to
 * the viewers of its web face. There is no sound hardware here: blade 2's source is sox's 440 Hz
 * sine (48 kHz stereo), blade 3's its 880 Hz sine (16 kHz mono). The station on blade 1 shows blade
 * 2, and a viewer on {@code /audio} hears 440 Hz; switched to blade 3 it hears 880 Hz; switched to
 * blade 1, which has no audio source, it is told so, as when blade 3 goes away. A viewer that never reads loses its oldest
 * chunks and holds a bounded queue while another hears everything in real time; a wrong password
 * hears nothing, and a page of another origin cannot open the socket.
 */
class AudioRelayTest {
  static final Duration T = Duration.ofSeconds(30);
  static final BladeId B1 = new BladeId(1, 1, 1);
  static final BladeId B2 = new BladeId(1, 1, 2);
  static final BladeId B3 = new BladeId(1, 1, 3);

  @TempDir Path root;
  TestBlades blades;
  /** What the SMM handlers say of messages no handler claims (a station asking a blade without audio). */
  final ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> unclaimed =
      new ch.qos.logback.core.read.ListAppender<>();

  @org.junit.jupiter.api.BeforeEach
  void watchUnclaimed() {
    unclaimed.start();
    smmLogger().addAppender(unclaimed);
  }

  static ch.qos.logback.classic.Logger smmLogger() {
    return (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(io.rackshare.smm.SmmHandler.class);
  }

  @AfterEach
  void stop() {
    smmLogger().detachAppender(unclaimed);
    if (blades != null) blades.close();
  }

  void await(String what, java.util.function.BooleanSupplier p, java.util.function.Supplier<String> detail) {
    TestProbe<Object> probe = blades.kit(1).createTestProbe();
    probe.awaitAssert(T, Duration.ofMillis(100), () -> {
      assertTrue(p.getAsBoolean(), what + ": " + detail.get());
      return null;
    });
  }

  /** Waits until {@code client} hears {@code blade}'s audio (a quarter second of it) at {@code hz}. */
  void awaitTone(AudioClient client, BladeId blade, int hz) {
    await(blade + "'s " + hz + " Hz", () -> {
      JsonNode s = client.state();
      if (s == null || !blade.toString().equals(s.path("blade").asText()) || !s.path("problem").isNull()) return false;
      int rate = s.path("rate").asInt();
      int channels = s.path("channels").asInt();
      byte[] pcm = client.pcm();
      return pcm.length >= rate / 4 * 2 * channels && Tone.dominantHz(pcm, rate, channels) == hz;
    }, () -> "state " + client.state() + ", " + client.pcm().length + " bytes of PCM");
  }

  @Test
  void theStationsViewersHearTheRoutedBladeAndFollowTheRoute() throws Exception {
    Tone.assume("sox");
    blades = Tone.stationAndTones(root, 3, "view-password = \"spy-pw\"");
    String web = blades.rackshare(1).stationWebUrl().orElseThrow();
    String url = web.replaceFirst("^http", "ws") + "audio";
    AudioView view = blades.rackshare(1).audioView().orElseThrow();

    // Status (rackshare status, GET /status) lists the sources with their formats.
    String statusUrl = blades.rackshare(1).managementUrl().orElseThrow() + "/status";
    String[] status = {""};
    await("status lists blade 2's audio", () -> {
      try {
        status[0] = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
            URI.create(statusUrl)).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return status[0].contains("Rack(1)/Chassis(1)/Blade(2)/Audio(0) (audio source, 48000 Hz stereo s16le: "
          + Tone.sox(440, 48000, 2) + ")");
    }, () -> status[0]);

    try (AudioClient viewer = AudioClient.connect(url, "full-pw")) {
      awaitTone(viewer, B2, 440);
      assertEquals(48000, viewer.state().path("rate").asInt());
      assertEquals(2, viewer.state().path("channels").asInt());

      // A viewer with the view-only password listens too; a wrong password hears nothing.
      try (AudioClient spy = AudioClient.connect(url, "spy-pw")) {
        awaitTone(spy, B2, 440);
      }
      // A page of another origin may not open it (the same check as the console's WebSocket).
      try (Socket evil = upgrade(URI.create(web).getHost(), URI.create(web).getPort(), "Origin: http://evil.example\r\n")) {
        String head = head(new DataInputStream(evil.getInputStream()));
        assertTrue(head.startsWith("HTTP/1.1 403"), head);
      }
      try (AudioClient wrong = AudioClient.connect(url, "guess")) {
        await("the wrong password is turned away", wrong::closed, () -> "state " + wrong.state());
        assertEquals("authentication failed", wrong.state().path("problem").asText());
        assertEquals(0, wrong.pcmBytes(), "no audio without the password");
      }

      // One guess per connection: a right answer after a wrong one is not let in.
      URI station = URI.create(web);
      try (Socket guesser = upgrade(station.getHost(), station.getPort(), "")) {
        DataInputStream in = new DataInputStream(guesser.getInputStream());
        assertTrue(head(in).startsWith("HTTP/1.1 101"));
        assertEquals(0x82, in.readUnsignedByte());
        assertEquals(16, in.readUnsignedByte());
        byte[] challenge = in.readNBytes(16);
        guesser.getOutputStream().write(binaryFrame(new byte[16]));
        guesser.getOutputStream().write(binaryFrame(io.rackshare.console.AudioSocket.answer("full-pw", challenge)));
        guesser.getOutputStream().flush();
        assertEquals(0x81, in.readUnsignedByte(), "a text frame");
        byte[] text = in.readNBytes(in.readUnsignedByte());
        assertEquals("{\"problem\":\"authentication failed\"}", new String(text, StandardCharsets.UTF_8));
      }

      // The audio follows the console route.
      assertEquals(B3, blades.rackshare(1).selectConsole(B3).toCompletableFuture().get(30, TimeUnit.SECONDS));
      awaitTone(viewer, B3, 880);
      assertEquals(16000, viewer.state().path("rate").asInt());
      assertEquals(1, viewer.state().path("channels").asInt());

      // Blade 3 goes away: the viewer is told, and its audio stops.
      blades.stop(3);
      await("blade 3's death is told", () -> viewer.state() != null
          && viewer.state().path("problem").asText().equals(B3 + " is down: its audio comes back when it does"),
          () -> "" + viewer.state());

      assertEquals(B1, blades.rackshare(1).selectConsole(B1).toCompletableFuture().get(30, TimeUnit.SECONDS));
      await("blade 1 has no audio, and the viewer is told", () -> viewer.state() != null
          && B1.toString().equals(viewer.state().path("blade").asText())
          && viewer.state().path("problem").asText().equals(B1 + " has no audio source"), () -> "" + viewer.state());

      assertEquals(B2, blades.rackshare(1).selectConsole(B2).toCompletableFuture().get(30, TimeUnit.SECONDS));
      awaitTone(viewer, B2, 440);

      // Blade 1 was asked once: back to it, the station knows it has no audio (each ask is a
      // warning in that blade's log).
      assertEquals(B1, blades.rackshare(1).selectConsole(B1).toCompletableFuture().get(30, TimeUnit.SECONDS));
      await("blade 1 has no audio, still", () -> viewer.state() != null
          && viewer.state().path("problem").asText().equals(B1 + " has no audio source"), () -> "" + viewer.state());
      assertEquals(1, unclaimed.list.stream().filter(e -> e.getFormattedMessage().contains("AudioProtocol$Listen"))
          .count(), "asked blade 1 once");
    }
  }

  @Test
  void aViewerThatNeverReadsCostsABoundedQueueAndStallsNobody() throws Exception {
    Tone.assume("sox");
    blades = Tone.stationAndTones(root, 2, "");
    URI web = URI.create(blades.rackshare(1).stationWebUrl().orElseThrow());
    String url = "ws://" + web.getHost() + ":" + web.getPort() + "/audio";
    AudioView view = blades.rackshare(1).audioView().orElseThrow();
    int chunkBytes = 48000 * 40 / 1000 * 4;

    try (AudioClient viewer = AudioClient.connect(url, "full-pw");
        Socket slow = stuckViewer(web.getHost(), web.getPort(), "full-pw")) {
      awaitTone(viewer, B2, 440);
      assertTrue(slow.isConnected());
      await("the slow viewer listens", () -> view.stats().size() == 2, () -> "" + view.stats());
      long heardBefore = viewer.pcmBytes();
      long before = System.nanoTime();
      // The slow viewer's socket buffers fill, then its queue, then it loses its oldest chunks.
      await("the slow viewer drops chunks", () -> view.stats().stream().anyMatch(s -> s.dropped() > 0),
          () -> "" + view.stats());
      for (int i = 0; i < 20; i++) {
        for (AudioView.Stats s : view.stats()) {
          assertTrue(s.queued() <= AudioView.CAPACITY && s.queuedBytes() <= (long) AudioView.CAPACITY * chunkBytes,
              "a bounded queue: " + s);
        }
        Thread.onSpinWait();
      }
      // Meanwhile the other viewer heard everything, in real time.
      double seconds = (System.nanoTime() - before) / 1e9;
      long heard = viewer.pcmBytes() - heardBefore;
      assertTrue(heard >= 0.7 * seconds * 192_000, "the fast viewer heard " + heard + " bytes in " + seconds + " s");
      List<AudioView.Stats> stats = view.stats();
      assertEquals(1, stats.stream().filter(s -> s.dropped() == 0).count(), "the fast viewer lost nothing: " + stats);
      awaitTone(viewer, B2, 440);
    }
  }

  /**
   * A WebSocket client by hand that answers the challenge and then never reads: a small receive
   * buffer, so that the station's writes to it stop soon.
   */
  static Socket stuckViewer(String host, int port, String password) throws Exception {
    Socket s = upgrade(host, port, "");
    OutputStream out = s.getOutputStream();
    DataInputStream in = new DataInputStream(s.getInputStream());
    String head = head(in);
    assertTrue(head.startsWith("HTTP/1.1 101"), head);
    int b0 = in.readUnsignedByte();
    int length = in.readUnsignedByte();
    assertEquals(0x82, b0, "a binary frame");
    assertEquals(16, length, "the challenge");
    byte[] challenge = in.readNBytes(16);
    out.write(binaryFrame(io.rackshare.console.AudioSocket.answer(password, challenge)));
    out.flush();
    return s;
  }

  /** A client's (masked) binary WebSocket frame of 16 bytes. */
  static byte[] binaryFrame(byte[] sixteen) {
    byte[] mask = {1, 2, 3, 4};
    byte[] frame = new byte[2 + 4 + 16];
    frame[0] = (byte) 0x82;
    frame[1] = (byte) (0x80 | 16);
    System.arraycopy(mask, 0, frame, 2, 4);
    for (int i = 0; i < 16; i++) frame[6 + i] = (byte) (sixteen[i] ^ mask[i % 4]);
    return frame;
  }

  /** Sends a WebSocket upgrade for {@code /audio} with {@code extraHeaders}, from a socket with a small receive buffer. */
  static Socket upgrade(String host, int port, String extraHeaders) throws Exception {
    Socket s = new Socket();
    s.setReceiveBufferSize(4096);
    s.connect(new java.net.InetSocketAddress(host, port), 5000);
    s.setSoTimeout(10_000);
    s.getOutputStream().write(("GET /audio HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        + extraHeaders + "\r\n").getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().flush();
    return s;
  }

  /** The response's head, up to the blank line. */
  static String head(DataInputStream in) throws Exception {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) head.append((char) in.readUnsignedByte());
    return head.toString();
  }
}
