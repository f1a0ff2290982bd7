package io.rackshare.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rackshare.map.DevicePath;
import io.rackshare.map.VolumeSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a spec gives every blade, read back as the runtime reads it. */
class ClusterSpecTest {

  @Test
  void declaredVolumesWithOptionsAndSettingsReadBackAsTheRuntimeReadsThem() {
    ClusterSpec spec = ClusterSpec.inOneJvm()
        .blades(3, "8MiB", "4MiB")
        .memory(2, "2MiB")
        .volume(new ClusterSpec.Volume("m0", "raid1", List.of(ClusterSpec.disk(1, 0), ClusterSpec.memory(2, 0)),
            List.of(ClusterSpec.disk(3, 1)), Map.of("rebuild-rate", "128KiB", "read-policy", "primary")))
        .setting("rackshare.access.rebuild-step", "64KiB")
        .build();
    Config c = ConfigFactory.parseString(spec.commonHocon()).resolve();
    assertEquals("64KiB", c.getString("rackshare.access.rebuild-step"));
    VolumeSpec v = VolumeSpec.listFromConfig(c, "rackshare.volumes").get(0);
    assertEquals(List.of(DevicePath.parse(ClusterSpec.disk(1, 0)), DevicePath.parse(ClusterSpec.memory(2, 0))), v.members());
    assertEquals(List.of(DevicePath.parse(ClusterSpec.disk(3, 1))), v.spares());
    assertEquals(Map.of("rebuild-rate", "128KiB", "read-policy", "primary"), v.options());

    Config blade2 = ConfigFactory.parseString(spec.blades().get(2).hocon());
    assertEquals(List.of("disk0.img", "disk1.img"),
        blade2.getConfigList("rackshare.blade.disks").stream().map(d -> d.getString("file")).toList());
    assertEquals(4L << 20, blade2.getConfigList("rackshare.blade.disks").get(1).getBytes("size"));
    assertEquals(2L << 20, blade2.getConfigList("rackshare.blade.memory").get(0).getBytes("size"));
  }

  @Test
  void slotsAreReadFromPaths() {
    assertEquals(3, ClusterSpec.slotOf("Rack(1)/Chassis(1)/Blade(3)/Disk(0)"));
    assertEquals(12, ClusterSpec.slotOf(ClusterSpec.blade(12)));
    assertEquals(-1, ClusterSpec.slotOf(""));
    assertEquals(-1, ClusterSpec.slotOf(null));
  }

  @Test
  void namespacesAreForSeparateJvmsOnly() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ClusterSpec.inOneJvm().blades(1, "1MiB").networkNamespaces().build());
    assertEquals("network namespaces are for separate JVMs: one JVM has one network stack", e.getMessage());
  }
}
