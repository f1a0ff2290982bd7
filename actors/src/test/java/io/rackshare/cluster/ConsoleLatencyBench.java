package io.rackshare.cluster;

import io.rackshare.console.ConsoleDriver;
import io.rackshare.console.ConsoleStation;
import io.rackshare.console.ConsoleView;
import io.rackshare.map.BladeId;
import io.rackshare.testkit.Medians;
import io.rackshare.testkit.TestBlades;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.Histogram;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keyboard-to-screen latency at the console station ({@code bench/console.sh}): a key typed at
 * the station until the station's screen shows its echo. Side by side in one run: the station
 * showing its own blade's console (no OOB hop: the reference) and another blade's (keys and frames
 * through the OOB channel). The console runs {@code cat > /dev/null} under the pseudo-terminal, so the echo is
 * the terminal's own. Rounds alternate; medians of the rounds' percentiles go to
 * {@code target/console-bench.md}. Runs only with {@code -Drackshare.bench=true}.
 */
@EnabledIfSystemProperty(named = "rackshare.bench", matches = "true")
class ConsoleLatencyBench {

  @TempDir Path root;

  record Sample(String route, double p50us, double p99us, double maxUs, int keys) {}

  /** One key per sample: waits for the screen to show it where the cursor was. */
  static Histogram measure(ConsoleView view, int keys) throws InterruptedException {
    Histogram h = new Histogram(3_600_000_000L, 3);
    ConsoleView.State state = view.awaitNewer(-1, 10_000);
    for (int i = 0; i < keys; i++) {
      ConsoleDriver.ScreenImage before = view.current();
      int at = before.cursorRow() * before.columns() + before.cursorColumn();
      boolean wrap = before.cursorColumn() >= before.columns() - 2;
      char key = wrap ? '\r' : (char) ('a' + i % 26);
      long seen = view.awaitNewer(-1, 10_000).seq();
      long start = System.nanoTime();
      view.keys(new byte[] {(byte) key});
      while (true) {
        ConsoleView.State s = view.awaitNewer(seen, 10_000);
        if (s == null) throw new AssertionError("no echo of key " + i);
        seen = s.seq();
        ConsoleDriver.ScreenImage img = s.image();
        boolean echoed = wrap ? img.cursorColumn() == 0 && img.cursorRow() != before.cursorRow()
            || img.cursorRow() == before.rows() - 1 && img.cursorColumn() == 0
            : img.chars()[at] == key;
        if (echoed) break;
      }
      if (!wrap) h.recordValue((System.nanoTime() - start) / 1000);
    }
    return h;
  }

  @Test
  void keyboardToScreen() throws Exception {
    int rounds = Integer.getInteger("rackshare.bench.rounds", 3);
    int keys = Integer.getInteger("rackshare.bench.keys", 400);
    try (TestBlades blades = new TestBlades(root, """
        rackshare.console.command = ["sh", "-c", "cat > /dev/null"]
        """)) {
      blades.start(1, "[]", "rackshare.console.station { enabled = on, port = 0, web-port = -1 }");
      blades.start(2, "[]");
      ConsoleView view = blades.rackshare(1).consoleView().orElseThrow();
      List<Sample> samples = new ArrayList<>();
      for (int round = 0; round < rounds; round++) {
        for (int slot : new int[] {1, 2}) {
          blades.rackshare(1).selectConsole(new BladeId(1, 1, slot)).toCompletableFuture()
              .get(30, java.util.concurrent.TimeUnit.SECONDS);
          TestProbe<Object> wait = blades.kit(1).createTestProbe();
          wait.awaitAssert(() -> {
            if (view.currentBanner() != null) throw new AssertionError(view.currentBanner());
            return null;
          });
          Histogram h = measure(view, keys);
          Sample s = new Sample(slot == 1 ? "station's own blade (reference)" : "another blade, over OOB",
              h.getValueAtPercentile(50), h.getValueAtPercentile(99), h.getMaxValue(), (int) h.getTotalCount());
          System.out.println("CONSOLE-BENCH " + s);
          samples.add(s);
        }
      }
      StringBuilder md = new StringBuilder("| route | keys | p50 | p99 | max |\n|---|---|---|---|---|\n");
      for (String route : List.of("station's own blade (reference)", "another blade, over OOB")) {
        List<Sample> r = samples.stream().filter(s -> s.route().equals(route)).toList();
        md.append(String.format(Locale.ROOT, "| %s | %d x %d | %.0f us | %.0f us | %.0f us |%n", route, r.size(), keys,
            Medians.of(r.stream().map(Sample::p50us).toList()),
            Medians.of(r.stream().map(Sample::p99us).toList()),
            Medians.of(r.stream().map(Sample::maxUs).toList())));
      }
      md.append(String.format(Locale.ROOT, "%nMedians of %d rounds; every sample:%n%n", rounds));
      samples.forEach(s -> md.append("- ").append(s).append('\n'));
      Files.writeString(Path.of("target", "console-bench.md"), md.toString());
      System.out.println(md);
    }
  }
}
