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
 * Sizes that must fit in an int are refused by name at 2 GiB or more (found while documenting the
 * configuration: 4GiB wrapped round to 0, and a later check said "must be >= 4KiB").
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
}
