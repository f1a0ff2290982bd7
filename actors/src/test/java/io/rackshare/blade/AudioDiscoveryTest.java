package io.rackshare.blade;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rackshare.console.AudioDriver;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.ResourceConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code rackshare.blade.audio}: sources become {@code .../Audio(n)}; a wrong entry is a clear error naming it. */
class AudioDiscoveryTest {

  static final BladeId BLADE = new BladeId(1, 1, 4);

  static Config rackshare(String hocon) {
    return ConfigFactory.parseString("blade {" + hocon + "}").withFallback(
        ConfigFactory.defaultReference().getConfig("rackshare"));
  }

  static String error(String hocon) {
    return assertThrows(IllegalArgumentException.class, () -> new AudioDiscovery().discover(BLADE, rackshare(hocon)))
        .getMessage();
  }

  @Test
  void eachEntryIsAnAudioDeviceWithItsFormat() {
    List<DiscoveredResource> found = new AudioDiscovery().discover(BLADE, rackshare("""
        audio = [{ command = "sox -q -n -t raw -r 16000 -e signed -b 16 -c 1 - synth sine 440", rate = 16000,
                   channels = 1 },
                 { command = "arecord -q -t raw -f S16_LE -r 48000 -c 2" }]
        """));
    assertEquals(2, found.size());
    assertEquals(DevicePath.audio(BLADE, 0), found.get(0).descriptor().path());
    assertEquals("Rack(1)/Chassis(1)/Blade(4)/Audio(1)", found.get(1).descriptor().path().toString());
    assertEquals(new ResourceConfig.Audio(16000, 1, "s16le",
        "sox -q -n -t raw -r 16000 -e signed -b 16 -c 1 - synth sine 440"), found.get(0).descriptor().config());
    ResourceConfig.Audio second = (ResourceConfig.Audio) found.get(1).descriptor().config();
    assertEquals(48000, second.rate(), "48 kHz unless configured");
    assertEquals(2, second.channels(), "stereo unless configured");
    assertTrue(found.get(0).driver() != null, "each source has its driver");
  }

  @Test
  void noEntriesNoDetectionNoAudio() {
    assertEquals(List.of(), new AudioDiscovery().discover(BLADE, rackshare("")), "the default: nothing captured");
  }

  @Test
  void configurationErrorsNameTheEntry() {
    assertEquals("rackshare.blade.audio[0]: rate 4000 is not within 8000..96000 Hz",
        error("audio = [{ command = \"true\", rate = 4000 }]"));
    assertEquals("rackshare.blade.audio[1]: rate 192000 is not within 8000..96000 Hz",
        error("audio = [{ command = \"true\" }, { command = \"true\", rate = 192000 }]"));
    assertEquals("rackshare.blade.audio[0]: 6 channels: 1 or 2 are relayed",
        error("audio = [{ command = \"true\", channels = 6 }]"));
    assertEquals("rackshare.blade.audio[0]: command is empty", error("audio = [{ command = \"  \" }]"));
    assertEquals("rackshare.blade.audio[0]: container = mp3: raw or wav",
        error("audio = [{ command = \"true\", container = mp3 }]"));
    assertTrue(error("audio = [{ rate = 16000 }]").startsWith("rackshare.blade.audio[0]: "),
        "a missing command names the entry");
    assertTrue(error("audio = [{ command = \"true\", rate = fast }]").startsWith("rackshare.blade.audio[0]: "),
        "a rate that is no number names the entry");
    assertEquals("rackshare.blade.audio[0]: restart-delay PT0.01S is below 100ms",
        error("audio = [{ command = \"true\", restart-delay = 10ms }]"));
  }

  @Test
  void alsaCaptureDevicesAreFoundInProcAsoundPcm(@TempDir Path dir) throws Exception {
    // As the kernel writes it on a machine with a sound card (this one has none).
    Path pcm = dir.resolve("pcm");
    Files.writeString(pcm, """
        00-00: ALC892 Analog : ALC892 Analog : playback 1 : capture 1
        00-01: ALC892 Digital : ALC892 Digital : playback 1
        01-03: HDMI 0 : HDMI 0 : playback 1
        02-00: USB Audio : USB Audio : capture 1
        """);
    List<AudioDriver.Settings> found = AudioDiscovery.detect(pcm);
    assertEquals(List.of("arecord -q -D hw:0,0 -t raw -f S16_LE -r 48000 -c 2",
        "arecord -q -D hw:2,0 -t raw -f S16_LE -r 48000 -c 2"), found.stream().map(AudioDriver.Settings::command).toList());
    assertEquals(List.of(0, 1), found.stream().map(AudioDriver.Settings::device).toList());

    Files.writeString(pcm, "01-03: HDMI 0 : HDMI 0 : playback 1\n");
    assertEquals(List.of(), AudioDiscovery.detect(pcm), "playback only: nothing to capture");
    assertEquals(List.of(), AudioDiscovery.detect(dir.resolve("none")), "no sound card: no source, and no error");
  }

  @Test
  void detectionIsUsedOnlyWithoutEntries() {
    // This machine has no /proc/asound: detection finds nothing and the blade starts.
    org.junit.jupiter.api.Assumptions.assumeFalse(Files.exists(AudioDiscovery.ASOUND_PCM), "this machine has sound");
    assertEquals(List.of(), new AudioDiscovery().discover(BLADE, rackshare("audio-detect = on")));
    assertEquals(1, new AudioDiscovery().discover(BLADE, rackshare("audio-detect = on\naudio = [{ command = x }]"))
        .size());
  }
}
