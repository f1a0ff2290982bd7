package io.rackshare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rackshare.access.AccessSettings;
import io.rackshare.blade.DiskDiscovery;
import io.rackshare.map.BladeId;
import io.rackshare.nbd.NbdSettings;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Settings out of range get a clear error naming them: sizes that must fit in an int at 2 GiB or
 * more (found while documenting the configuration: 4GiB wrapped round to 0, and a later check said
 * "must be >= 4KiB"), ports outside 0-65535, and time-outs and intervals of zero or less.
 */
class ConfigSizesTest {

  @TempDir Path dir;

  static Config rackshare(String hocon) {
    return ConfigFactory.parseString(hocon).withFallback(ConfigFactory.load()).getConfig("rackshare");
  }

  static String refusal(Runnable r) {
    return assertThrows(IllegalArgumentException.class, r::run).getMessage();
  }

  @Test
  void payloadSegmentAndRebuildStepSizesOf2GibOrMoreAreRefusedByName() {
    String payload = refusal(() -> NbdSettings.fromConfig(rackshare("rackshare.nbd.max-payload = 4GiB").getConfig("nbd"), ""));
    assertTrue(payload.startsWith("rackshare.nbd.max-payload = 4GiB (4294967296 bytes) is too large"), payload);
    String segment = refusal(() -> AccessSettings.fromConfig(rackshare("rackshare.access.max-segment-bytes = 2GiB")
        .getConfig("access")));
    assertTrue(segment.startsWith("rackshare.access.max-segment-bytes = 2GiB"), segment);
    String step = refusal(() -> AccessSettings.fromConfig(rackshare("rackshare.access.rebuild-step = 3GiB")
        .getConfig("access")));
    assertTrue(step.startsWith("rackshare.access.rebuild-step = 3GiB"), step);
    assertEquals(Integer.MAX_VALUE, ConfigSizes.intBytes(ConfigFactory.parseString("s = 2147483647"), "s", "s"),
        "the largest int passes");
  }

  @Test
  void aDisksBlockSizeOf4GibIsRefusedWithTheDisksPlace() {
    Config blade = ConfigFactory.parseString("data-dir = \"" + dir + "\"\n"
        + "disks = [{ file = d.img, size = 1MiB, block-size = 4GiB }]").atKey("blade");
    String e = refusal(() -> new DiskDiscovery().discover(new BladeId(1, 1, 1), blade));
    assertTrue(e.startsWith("rackshare.blade.disks[0]: block-size = 4GiB (4294967296 bytes) is too large"), e);
  }

  @Test
  void portsOutOfRangeAndZeroTimeoutsAreRefusedByName() {
    for (String[] bad : new String[][] {
        {"rackshare.oob.data-lane-port = 70000", "rackshare.oob.data-lane-port = 70000: a port is 0"},
        {"rackshare.management.port = -1", "rackshare.management.port = -1: a port is 0"},
        {"rackshare.nbd.port = 65536", "rackshare.nbd.port must be 0-65535"},
        {"rackshare.oob.request-timeout = 0s", "rackshare.oob.request-timeout = PT0S: must be more than 0"},
        {"rackshare.oob.tick-interval = -1s", "rackshare.oob.tick-interval = PT-1S: must be more than 0"},
        {"rackshare.manager.seat.tick = 0ms", "rackshare.manager.seat.tick = 0ms: must be more than 0"},
        {"rackshare.manager.confirm-timeout = 0s", "rackshare.manager.confirm-timeout = 0s: must be more than 0"},
        {"rackshare.manager.snapshot-every = -1", "rackshare.manager.snapshot-every = -1: 0 (no snapshots) or more"}}) {
      String e = refusal(() -> RackshareSettings.fromConfig(ConfigFactory.parseString(bad[0]
          + "\nrackshare.blade.slot = 1").withFallback(ConfigFactory.load())));
      assertTrue(e.contains(bad[1]), bad[0] + " gave: " + e);
    }
    RackshareSettings.fromConfig(ConfigFactory.parseString("rackshare.blade.slot = 1").withFallback(ConfigFactory.load()));
  }
}
