package io.rackshare.multijvm;

import io.rackshare.testkit.ReservedPorts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.node.BladeProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Blades as real separate JVMs form a cluster over their OOB addresses and agree on the map. */
class ClusterOfJvmsIT {

  static final Path dir = TestDirs.fresh(ClusterOfJvmsIT.class);

  /** A port for the blades that must not start. */
  final ReservedPorts held = new ReservedPorts(1);

  @AfterEach
  void release() {
    held.close();
  }

  static String nodeConfig(int slot, int port, int seedPort, Path dataDir, String disks) {
    return """
        rackshare {
          blade { slot = %d, data-dir = "%s", disks = %s }
          oob { hostname = "127.0.0.1", port = %d }
          nbd.port = 0
          management.port = 0
          seed-nodes = ["127.0.0.1:%d"]
          volumes = [{ name = v0, layout = span, members = [
            "Rack(1)/Chassis(1)/Blade(1)/Disk(0)", "Rack(1)/Chassis(1)/Blade(2)/Disk(0)",
            "Rack(1)/Chassis(1)/Blade(3)/Disk(0)"] }]
        }
        """.formatted(slot, dataDir, disks, port, seedPort);
  }

  static final Pattern READY = Pattern.compile("RACKSHARE READY blade=(\\S+) pid=(\\d+) epoch=(\\d+) digest=(\\w+) .*");

  @Test
  void threeBladeProcesssBuildTheSameMap() throws Exception {
    List<BladeProcess> jvms = new ArrayList<>();
    try (ReservedPorts ports = new ReservedPorts(3)) {
      int seedPort = ports.port(1);
      for (int slot = 1; slot <= 3; slot++) {
        int port = ports.release(slot);
        Path d = dir.resolve("blade" + slot);
        jvms.add(BladeProcess.start("blade" + slot, d, nodeConfig(slot, port, seedPort, d,
            "[{ file = disk0.img, size = 4MiB }]"), TestCa.get()));
      }
      Set<String> digests = new HashSet<>();
      for (BladeProcess jvm : jvms) {
        Matcher m = READY.matcher(jvm.awaitLine("RACKSHARE READY", Duration.ofSeconds(90)));
        assertTrue(m.matches());
        assertEquals(jvm.pid(), Long.parseLong(m.group(2)), "each blade is its own process");
        assertEquals("1", m.group(3));
        digests.add(m.group(4));
      }
      assertEquals(1, digests.size(), "every blade holds the same map: " + digests);
    } finally {
      for (BladeProcess jvm : jvms) jvm.close();
    }
  }

  @Test
  void aBadConfigurationIsAClearErrorAndNothingStarts() throws Exception {
    // Held throughout: the blade refuses its configuration before it binds anything.
    int port = held.port(1);
    Path d = dir.resolve("bad");
    BladeProcess jvm = BladeProcess.start("bad", d, nodeConfig(1, port, port, d, "[{ file = disk0.img }]")
        + "rackshare.volumes = [{ name = v0, layout = raid7, members = [\"Rack(1)/Chassis(1)/Blade(1)/Disk(0)\"] }]\n",
        TestCa.get());
    assertEquals(2, jvm.awaitExit(Duration.ofSeconds(60)));
    String out = String.join("\n", jvm.lines());
    assertTrue(out.contains("unknown layout 'raid7'"), out);
    assertTrue(!out.contains("\tat "), "no stack trace for a configuration mistake:\n" + out);
  }

  @Test
  void aBladeWithoutItsCertificateIsAClearErrorAndNothingStarts() throws Exception {
    // Held throughout: the blade refuses its configuration before it binds anything.
    int port = held.port(1);
    Path d = dir.resolve("no-certificate");
    BladeProcess jvm = BladeProcess.start("no-certificate", d, nodeConfig(1, port, port, d, "[{ file = disk0.img }]"));
    assertEquals(2, jvm.awaitExit(Duration.ofSeconds(60)));
    String out = String.join("\n", jvm.lines());
    assertTrue(out.contains("rackshare.tls.dir is not set"), out);
    assertTrue(out.contains("rackshare certs"), "names the command that makes one:\n" + out);
    assertTrue(!out.contains("\tat "), "no stack trace for a configuration mistake:\n" + out);
  }
}
