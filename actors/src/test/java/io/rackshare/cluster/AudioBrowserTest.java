package io.rackshare.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rackshare.map.BladeId;
import io.rackshare.testkit.StationBrowser;
import io.rackshare.testkit.TestBlades;
import io.rackshare.testkit.Tone;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The station's audio in a real browser: the viewer page (served by the station on blade 1) in
 * Debian's headless Chromium, driven by playwright-core ({@code src/test/browser/audio.mjs}). Its
 * audio button starts WebAudio; the page's AnalyserNode hears blade 2's source, sox's 440 Hz sine
 * (there is no sound hardware here), then blade 3's 880 Hz once the station is switched there,
 * and the page says that blade 1 has no audio when the station shows blade 1.
 */
class AudioBrowserTest {
  static final Path WORK = Path.of("target", "audio-browser").toAbsolutePath();
  static final Duration T = Duration.ofSeconds(30);
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path root;
  TestBlades blades;
  StationBrowser browser;

  @BeforeAll
  static void install() throws Exception {
    StationBrowser.assumeAvailable();
    Tone.assume("sox");
    StationBrowser.install(Path.of("src", "test", "browser"), WORK, "audio.mjs");
  }

  @AfterEach
  void stop() {
    if (browser != null) browser.close();
    if (blades != null) blades.close();
  }

  JsonNode audio() throws Exception {
    String answer = browser.command("audio");
    assertTrue(answer.startsWith("AUDIO "), answer);
    return JSON.readTree(answer.substring("AUDIO ".length()));
  }

  /** Waits until the page's analyser hears {@code hz} (within its resolution) from {@code blade}. */
  JsonNode awaitPeak(BladeId blade, int hz) {
    JsonNode[] last = {null};
    TestProbe<Object> probe = blades.kit(1).createTestProbe();
    probe.awaitAssert(T, Duration.ofMillis(200), () -> {
      try {
        last[0] = audio();
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      assertTrue(blade.toString().equals(last[0].path("blade").asText()) && last[0].path("problem").isNull()
          && Math.abs(last[0].path("peakHz").asDouble() - hz) < 12, "the page hears " + hz + " Hz from " + blade
          + ": " + last[0]);
      return null;
    });
    return last[0];
  }

  @Test
  void thePagePlaysTheShownBladesAudioAndFollowsTheRoute() throws Exception {
    BladeId b1 = new BladeId(1, 1, 1);
    BladeId b2 = new BladeId(1, 1, 2);
    BladeId b3 = new BladeId(1, 1, 3);
    blades = Tone.stationAndTones(root, 3, "");
    browser = StationBrowser.start(WORK, "audio.mjs", blades.rackshare(1).stationWebUrl().orElseThrow()
        + "#password=full-pw", WORK.resolve("browser.log"), "CONNECTED");
    assertEquals("audio: off", audio().path("state").asText(), "no audio before the button");

    String clicked = browser.command("audio-on");
    assertTrue(clicked.startsWith("CLICKED audio:"), clicked);
    JsonNode heard = awaitPeak(b2, 440);
    assertEquals(48000, heard.path("rate").asInt());
    assertEquals("audio: " + b2 + ", 48000 Hz stereo", heard.path("state").asText());
    long played = heard.path("framesPlayed").asLong();
    TestProbe<Object> probe = blades.kit(1).createTestProbe();
    probe.awaitAssert(T, Duration.ofMillis(200), () -> {
      try {
        long now = audio().path("framesPlayed").asLong();
        assertTrue(now >= played + 48000, "a second more played: " + played + " -> " + now);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return null;
    });

    assertEquals(b3, blades.rackshare(1).selectConsole(b3).toCompletableFuture().get(30, TimeUnit.SECONDS));
    heard = awaitPeak(b3, 880);
    assertEquals("audio: " + b3 + ", 16000 Hz mono", heard.path("state").asText());

    assertEquals(b1, blades.rackshare(1).selectConsole(b1).toCompletableFuture().get(30, TimeUnit.SECONDS));
    probe.awaitAssert(T, Duration.ofMillis(200), () -> {
      try {
        JsonNode a = audio();
        assertEquals("audio: no audio from " + b1 + ": " + b1 + " has no audio source", a.path("state").asText());
        assertEquals(0.0, a.path("peakHz").asDouble(), "silence: " + a);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return null;
    });
  }
}
