package io.rackshare.testkit;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Audio for tests without sound hardware: sources are real streams from Debian's sox and espeak-ng,
 * and what arrives is checked by its dominant frequency (a discrete Fourier transform scanned over
 * the audible range).
 */
public final class Tone {
  private Tone() {}

  /** A shell command line: {@code hz} Hz sine from sox, signed 16-bit little-endian, forever. */
  public static String sox(int hz, int rate, int channels) {
    return "sox -q -n -t raw -r " + rate + " -e signed -b 16 -c " + channels + " - synth sine " + hz;
  }

  /** Skips the calling test, saying why, where {@code tool} (a Debian package's command) is missing. */
  public static void assume(String tool) {
    boolean found = false;
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) found = true;
    }
    Assumptions.assumeTrue(found, "no " + tool + " here (Debian package " + tool + "): the audio test is skipped");
  }

  /**
   * The frequency (Hz, in steps of 5 from 100 to 4000) with the most energy in the first channel of
   * {@code pcm} (signed 16-bit little-endian, {@code channels} interleaved), over at most its first
   * quarter second; 0 for silence.
   */
  public static int dominantHz(byte[] pcm, int rate, int channels) {
    ByteBuffer b = ByteBuffer.wrap(pcm).order(ByteOrder.LITTLE_ENDIAN);
    int frames = Math.min(pcm.length / (2 * channels), rate / 4);
    double[] x = new double[frames];
    double energy = 0;
    for (int i = 0; i < frames; i++) {
      x[i] = b.getShort(i * 2 * channels) / 32768.0;
      energy += x[i] * x[i];
    }
    if (frames == 0 || energy / frames < 1e-6) return 0;
    int best = 0;
    double bestPower = -1;
    for (int hz = 100; hz <= 4000; hz += 5) {
      double re = 0;
      double im = 0;
      double w = 2 * Math.PI * hz / rate;
      for (int i = 0; i < frames; i++) {
        re += x[i] * Math.cos(w * i);
        im += x[i] * Math.sin(w * i);
      }
      double power = re * re + im * im;
      if (power > bestPower) {
        bestPower = power;
        best = hz;
      }
    }
    return best;
  }

  /**
   * Starts {@code count} blades (2 or 3) under {@code root}, each with a console ({@code cat}):
   * blade 1 hosts the console station (web face on a free port, password {@code full-pw}, {@code
   * stationExtra} inside its settings) showing blade 2 first, and the management endpoint; blade 2's audio source is sox's 440 Hz
   * sine at 48 kHz stereo, blade 3's its 880 Hz sine at 16 kHz mono.
   */
  public static TestBlades stationAndTones(Path root, int count, String stationExtra) {
    TestBlades blades = new TestBlades(root, "rackshare.console.command = [\"cat\"]\n");
    blades.start(1, "[]", "rackshare.management { enabled = on, port = 0 }\nrackshare.console.station { enabled = on, port = 0, web-port = 0, target = "
        + "\"Rack(1)/Chassis(1)/Blade(2)\", password = \"full-pw\"\n" + stationExtra + " }\n");
    blades.start(2, "[]", source(440, 48000, 2));
    if (count > 2) blades.start(3, "[]", source(880, 16000, 1));
    return blades;
  }

  /** {@code rackshare.blade.audio} with one sox sine source. */
  static String source(int hz, int rate, int channels) {
    return "rackshare.blade.audio = [{ command = \"" + sox(hz, rate, channels) + "\", rate = " + rate
        + ", channels = " + channels + " }]\n";
  }
}
