package io.rackshare.blade;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.rackshare.console.AudioDriver;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.ResourceConfig;
import io.rackshare.map.ResourceDescriptor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Discovers what a blade can capture (0062: audio), {@code rackshare.blade.audio}: each entry
 * {@code { command = "arecord -q -t raw -f S16_LE -r 48000 -c 2", rate = 48000, channels = 2 }}
 * becomes {@code .../Audio(n)}, a source whose {@link AudioDriver} runs the command (a shell
 * command line writing signed 16-bit little-endian PCM on its standard output; {@code container =
 * wav} for one that writes a WAV header first, as {@code espeak-ng --stdout} does). The console
 * station relays the audio of the blade its console shows.
 *
 * <p>With no entries and {@code rackshare.blade.audio-detect = on}, each ALSA capture device that
 * {@code /proc/asound/pcm} lists becomes a source recorded with {@code arecord} (48 kHz stereo);
 * the log says why none was found. Detection is off by default: a blade does not start capturing
 * a microphone unless asked to.
 */
public final class AudioDiscovery implements ResourceDiscovery {
  private static final Logger log = LoggerFactory.getLogger(AudioDiscovery.class);
  /** Where the kernel lists the sound cards' PCM devices. */
  static final Path ASOUND_PCM = Path.of("/proc/asound/pcm");
  /** A line of {@code /proc/asound/pcm}: "00-01: ALC892 Alt Analog : ALC892 Alt Analog : capture 1". */
  private static final Pattern PCM_LINE = Pattern.compile("^(\\d+)-(\\d+):.*\\bcapture\\b.*$");

  @Override
  public List<DiscoveredResource> discover(BladeId blade, Config rackshare) {
    Config bladeConfig = rackshare.getConfig("blade");
    List<? extends Config> entries = bladeConfig.hasPath("audio") ? bladeConfig.getConfigList("audio") : List.of();
    List<AudioDriver.Settings> sources = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) sources.add(settings(i, entries.get(i)));
    if (sources.isEmpty() && bladeConfig.hasPath("audio-detect") && bladeConfig.getBoolean("audio-detect")) {
      sources.addAll(detect(ASOUND_PCM));
    }
    List<DiscoveredResource> out = new ArrayList<>();
    for (AudioDriver.Settings s : sources) {
      out.add(new DiscoveredResource(new ResourceDescriptor(DevicePath.audio(blade, s.device()), s.format()), null,
          c -> AudioDriver.create(c, s)));
    }
    return out;
  }

  /** Entry {@code i} of {@code rackshare.blade.audio}; a clear error naming it if it is wrong. */
  static AudioDriver.Settings settings(int i, Config c) {
    String where = "rackshare.blade.audio[" + i + "]";
    try {
      String command = c.getString("command").trim();
      if (command.isEmpty()) throw new IllegalArgumentException("command is empty");
      int rate = c.hasPath("rate") ? c.getInt("rate") : 48000;
      int channels = c.hasPath("channels") ? c.getInt("channels") : 2;
      String container = c.hasPath("container") ? c.getString("container") : "raw";
      if (!container.equals("raw") && !container.equals("wav")) {
        throw new IllegalArgumentException("container = " + container + ": raw or wav");
      }
      Duration restart = c.hasPath("restart-delay") ? c.getDuration("restart-delay") : Duration.ofSeconds(1);
      if (restart.toMillis() < 100) throw new IllegalArgumentException("restart-delay " + restart + " is below 100ms");
      return new AudioDriver.Settings(i, command, new ResourceConfig.Audio(rate, channels, "s16le", command),
          container.equals("wav"), restart);
    } catch (ConfigException | IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
  }

  /** The ALSA capture devices {@code pcm} (as {@code /proc/asound/pcm}) lists, each recorded with arecord. */
  static List<AudioDriver.Settings> detect(Path pcm) {
    List<String> lines;
    try {
      lines = Files.readAllLines(pcm, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      log.info("rackshare.blade.audio-detect: no audio source: {} does not exist (no sound card, or no ALSA driver"
          + " for it)", pcm);
      return List.of();
    } catch (IOException e) {
      log.info("rackshare.blade.audio-detect: no audio source: cannot read {}: {}", pcm, e.getMessage());
      return List.of();
    }
    List<AudioDriver.Settings> out = new ArrayList<>();
    for (String line : lines) {
      Matcher m = PCM_LINE.matcher(line.strip());
      if (!m.matches()) continue;
      String command = "arecord -q -D hw:" + Integer.parseInt(m.group(1)) + "," + Integer.parseInt(m.group(2))
          + " -t raw -f S16_LE -r 48000 -c 2";
      out.add(new AudioDriver.Settings(out.size(), command, new ResourceConfig.Audio(48000, 2, "s16le", command),
          false, Duration.ofSeconds(1)));
    }
    if (out.isEmpty()) {
      log.info("rackshare.blade.audio-detect: no audio source: {} lists {} PCM device(s), none that captures", pcm,
          lines.size());
    } else {
      log.info("rackshare.blade.audio-detect: {} ALSA capture device(s): {}", out.size(),
          out.stream().map(AudioDriver.Settings::command).toList());
    }
    return out;
  }
}
