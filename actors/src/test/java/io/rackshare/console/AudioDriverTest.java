package io.rackshare.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.rackshare.blade.Blade;
import io.rackshare.blade.DiscoveredResource;
import io.rackshare.map.BladeId;
import io.rackshare.map.ResourceConfig;
import io.rackshare.smm.SmmHandler;
import io.rackshare.testkit.Tone;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * An audio source's driver with real streams (this machine has no sound hardware): sox's sine and
 * espeak-ng's speech (WAV) come in chunks at real-time pace to a listening station; a command that
 * fails is one clear line in the log, however often it is started again; a station its map does
 * not route here is refused.
 */
class AudioDriverTest {
  static final ActorTestKit kit = ActorTestKit.create();
  static final BladeId BLADE = new BladeId(1, 1, 2);
  static final BladeId STATION = new BladeId(1, 1, 1);
  static final Duration T = Duration.ofSeconds(15);

  TestProbe<SmmHandler.Command> smm;
  ActorRef<SmmHandler.Delivery> handler;
  ListAppender<ILoggingEvent> log;
  ch.qos.logback.classic.Logger logger;

  @AfterAll
  static void stopKit() {
    kit.shutdownTestKit();
  }

  @BeforeEach
  void captureLog() {
    logger = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(AudioDriver.class);
    log = new ListAppender<>();
    log.start();
    logger.addAppender(log);
  }

  @AfterEach
  void releaseLog() {
    logger.detachAppender(log);
  }

  /** Starts a driver and returns the listener probe, listening under a map newer than the driver's (empty) one. */
  TestProbe<AudioProtocol.ToListener> listen(String command, ResourceConfig.Audio format, boolean wav,
      TestProbe<AudioProtocol.ToListener> listener, long epoch) {
    smm = kit.createTestProbe();
    TestProbe<Blade.Command> blade = kit.createTestProbe();
    kit.spawn(AudioDriver.create(new DiscoveredResource.DriverContext(BLADE, smm.ref(), blade.ref()),
        new AudioDriver.Settings(0, command, format, wav, Duration.ofMillis(100))));
    SmmHandler.RegisterHandler r = smm.expectMessageClass(SmmHandler.RegisterHandler.class, T);
    assertTrue(r.claims().test(new AudioProtocol.Listen(0, listener.ref(), 1)), "it claims its device's messages");
    assertTrue(!r.claims().test(new AudioProtocol.Listen(1, listener.ref(), 1)), "not another device's");
    handler = r.handler();
    handler.tell(new SmmHandler.Delivery(STATION, new AudioProtocol.Listen(0, listener.ref(), epoch),
        new SmmHandler.Responder(smm.ref(), STATION, 7)));
    return listener;
  }

  /** The driver's answer to the listen request. */
  io.rackshare.smm.OobMessage answer() {
    SmmHandler.Reply reply = smm.expectMessageClass(SmmHandler.Reply.class, T);
    assertEquals(7, reply.correlation());
    return reply.message();
  }

  @Test
  void aSoxSineComesInRealTimeChunks() {
    Tone.assume("sox");
    ResourceConfig.Audio format = new ResourceConfig.Audio(16000, 1, "s16le", "sox");
    TestProbe<AudioProtocol.ToListener> listener = listen(Tone.sox(440, 16000, 1), format, false,
        kit.createTestProbe(), 1);
    AudioProtocol.Listening l = assertInstanceOf(AudioProtocol.Listening.class, answer());
    assertEquals(format, l.format());
    assertNull(l.silent());
    java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
    long start = 0;
    long seq = -1;
    for (int i = 0; i < 50; i++) {
      AudioProtocol.Pcm p = assertInstanceOf(AudioProtocol.Pcm.class, listener.receiveMessage(T));
      if (i == 0) start = System.nanoTime();
      assertEquals(BLADE, p.blade());
      assertEquals(AudioCapture.chunkBytes(format), p.data().length, "40 ms of whole frames");
      assertTrue(seq < 0 || p.seq() == seq + 1, "chunks in order, none lost: " + seq + " then " + p.seq());
      seq = p.seq();
      all.writeBytes(p.data());
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    // 49 chunks after the first are 1.96 s of audio: sox writes as fast as the pipe takes, the
    // driver reads no faster than real time (a chunk ahead at most).
    assertTrue(seconds > 1.7, "paced to real time: 49 chunks in " + seconds + " s");
    assertEquals(440, Tone.dominantHz(all.toByteArray(), 16000, 1));
  }

  @Test
  void espeakNgSpeechAsWav() {
    Tone.assume("espeak-ng");
    ResourceConfig.Audio format = new ResourceConfig.Audio(22050, 1, "s16le", "espeak-ng");
    TestProbe<AudioProtocol.ToListener> listener = listen("espeak-ng --stdout 'the console station relays audio'",
        format, true, kit.createTestProbe(), 1);
    assertInstanceOf(AudioProtocol.Listening.class, answer());
    long loud = 0;
    for (int i = 0; i < 40; i++) {
      AudioProtocol.ToListener m = listener.receiveMessage(T);
      if (m instanceof AudioProtocol.Pcm p) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(p.data()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int s = 0; s < p.data().length / 2; s++) if (Math.abs(b.getShort(s * 2)) > 1000) loud++;
      }
    }
    assertTrue(loud > 1000, "speech, not silence (nor a header read as samples): " + loud + " loud samples");
  }

  @Test
  void aWavOfAnotherFormatIsRefusedClearly() {
    Tone.assume("espeak-ng");
    TestProbe<AudioProtocol.ToListener> listener = listen("espeak-ng --stdout hello",
        new ResourceConfig.Audio(16000, 1, "s16le", "espeak-ng"), true, kit.createTestProbe(), 1);
    assertInstanceOf(AudioProtocol.Listening.class, answer());
    AudioProtocol.Silent s = listener.expectMessageClass(AudioProtocol.Silent.class, T);
    assertTrue(s.reason().contains("22050 Hz, 1 channel(s), 16 bits, not PCM of 16000 Hz"), s.reason());
  }

  @Test
  void aBadCommandIsOneClearLineHoweverOftenItRestarts() {
    TestProbe<AudioProtocol.ToListener> listener = listen("no-such-recorder -q", new ResourceConfig.Audio(
        16000, 1, "s16le", "x"), false, kit.createTestProbe(), 1);
    assertInstanceOf(AudioProtocol.Listening.class, answer());
    for (int i = 0; i < 3; i++) {
      AudioProtocol.Silent s = listener.expectMessageClass(AudioProtocol.Silent.class, T);
      assertTrue(s.reason().contains("exited with 127") && s.reason().contains("no-such-recorder: not found"),
          s.reason());
    }
    // Three runs (restart-delay 100 ms), one warning, and no stack trace.
    List<ILoggingEvent> warnings = log.list.stream().filter(e -> e.getLevel() == Level.WARN).toList();
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).getFormattedMessage().contains("exited with 127"), warnings.get(0).getFormattedMessage());
    assertNull(warnings.get(0).getThrowableProxy(), "no stack trace");
  }

  @Test
  void aStationTheMapDoesNotRouteHereIsRefused() {
    TestProbe<AudioProtocol.ToListener> listener = listen("sleep 30", new ResourceConfig.Audio(16000, 1, "s16le", "x"),
        false, kit.createTestProbe(), 0);
    AudioProtocol.Refused r = assertInstanceOf(AudioProtocol.Refused.class, answer());
    assertTrue(r.reason().contains("routes the station on " + STATION + " to no console"), r.reason());
    listener.expectNoMessage(Duration.ofMillis(200));
  }
}
