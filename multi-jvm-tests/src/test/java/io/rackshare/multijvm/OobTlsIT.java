package io.rackshare.multijvm;

import io.rackshare.testkit.StatusPoller;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.management.BladeStatus;
import io.rackshare.node.BladeProcess;
import io.rackshare.tls.ClusterCa;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The out-of-band channel under mutual TLS (Artery {@code tls-tcp}), with real JVMs: a blade with
 * a certificate of the cluster's CA joins; a JVM speaking plain TCP, and one with a certificate of
 * another CA, do not, however long they try, and the blade logs no stack trace for them.
 */
class OobTlsIT {

  static final Path dir = TestDirs.fresh(OobTlsIT.class);
  static final Pattern READY = Pattern.compile("RACKSHARE READY blade=(\\S+) .* mgmt=(\\S+) .*");
  static final Pattern UP = Pattern.compile("RACKSHARE UP blade=\\S+ oob=(\\S+)");

  static String config(int slot, Path d, String seed) {
    return """
        rackshare {
          blade { slot = %d, data-dir = "%s", disks = [{ file = disk0.img, size = 4MiB }] }
          oob { hostname = "127.0.0.1", port = 0 }
          nbd.port = 0
          management.port = 0
          seed-nodes = [%s]
        }
        """.formatted(slot, d, seed.isEmpty() ? "" : "\"" + seed + "\"");
  }

  @Test
  void onlyBladesWithACertificateOfTheClustersCaJoin() throws Exception {
    Path d1 = dir.resolve("blade1");
    try (BladeProcess blade1 = BladeProcess.start("blade1", d1, config(1, d1, ""), TestCa.get())) {
      Matcher up = UP.matcher(blade1.awaitLine("RACKSHARE UP", Duration.ofSeconds(90)));
      assertTrue(up.find());
      String seed = up.group(1);
      Matcher ready = READY.matcher(blade1.awaitLine("RACKSHARE READY", Duration.ofSeconds(90)));
      assertTrue(ready.matches());
      String mgmt = ready.group(2);

      // Outsiders, each a real blade JVM that tries to join through blade 1.
      Path plain = dir.resolve("plain");
      Path foreign = dir.resolve("foreign");
      ClusterCa otherCa = ClusterCa.create(dir.resolve("other-ca"), "rackshare");
      try (BladeProcess p = BladeProcess.start("plain", plain,
              config(2, plain, seed) + "rackshare.tls.enabled = off\n");
          BladeProcess f = BladeProcess.start("foreign", foreign, config(3, foreign, seed), otherCa)) {
        // Each tried and was refused: Pekko says so on every join attempt.
        awaitLog(p, "Couldn't join seed nodes", Duration.ofSeconds(60));
        awaitLog(f, "Couldn't join seed nodes", Duration.ofSeconds(60));

        // A blade of the cluster still joins meanwhile: blade 1 is listening and answering.
        Path d4 = dir.resolve("blade4");
        try (BladeProcess blade4 = BladeProcess.start("blade4", d4, config(4, d4, seed), TestCa.get())) {
          blade4.awaitLine("RACKSHARE READY", Duration.ofSeconds(90));
          BladeStatus s = StatusPoller.await("blade 1", () -> StatusPoller.fetch(mgmt), "blade 4 a member",
              st -> st.blades().size() == 2, Duration.ofSeconds(60));
          assertEquals(List.of("Rack(1)/Chassis(1)/Blade(1)", "Rack(1)/Chassis(1)/Blade(4)"),
              s.blades().stream().sorted().toList(), "the outsiders are not members");
        }
        assertFalse(String.join("\n", p.lines()).contains("RACKSHARE UP"), "the plain JVM never became a member");
        assertFalse(String.join("\n", f.lines()).contains("RACKSHARE UP"), "the foreign JVM never became a member");
      }
      String log = String.join("\n", blade1.lines());
      assertFalse(log.contains("\tat "), "no stack trace for an outsider's handshake:\n" + tail(log));
    }
  }

  static void awaitLog(BladeProcess p, String text, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (p.lines().stream().anyMatch(l -> l.contains(text))) return;
      if (!p.isAlive()) throw new AssertionError(p.name() + " ended:\n" + tail(String.join("\n", p.lines())));
      Thread.sleep(200); // polling another process's log
    }
    throw new AssertionError(p.name() + " did not log '" + text + "' within " + timeout + ":\n"
        + tail(String.join("\n", p.lines())));
  }

  static String tail(String log) {
    return log.length() > 6000 ? log.substring(log.length() - 6000) : log;
  }
}
