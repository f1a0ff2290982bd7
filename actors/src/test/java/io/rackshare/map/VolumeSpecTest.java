package io.rackshare.map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

class VolumeSpecTest {

  static List<VolumeSpec> parse(String hocon) {
    return VolumeSpec.listFromConfig(ConfigFactory.parseString(hocon), "volumes");
  }

  @Test
  void readsVolumesWithDefaultsAndOptions() {
    List<VolumeSpec> v = parse("""
        volumes = [
          { name = v0, members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(0)"] }
          { name = v1, layout = span, members = ["Rack(1)/Chassis(1)/Blade(2)/Disk(1)"], options { a = 1 } }
        ]""");
    assertEquals(2, v.size());
    assertEquals("span", v.get(0).layout());
    assertEquals(DevicePath.parse("Rack(1)/Chassis(1)/Blade(2)/Disk(1)"), v.get(1).members().get(0));
    assertEquals("1", v.get(1).options().get("a"));
  }

  @Test
  void mistakesNameTheEntry() {
    assertMessage("volumes[0]", "volumes = [{ name = v0, members = [\"Blade(1)\"] }]");
    assertMessage("volumes[1]: volume name 'v0' is used twice", """
        volumes = [{ name = v0, members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(0)"] },
                   { name = v0, members = ["Rack(1)/Chassis(1)/Blade(2)/Disk(0)"] }]""");
    assertMessage("lists a device twice", """
        volumes = [{ name = v0, members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(0)", "Rack(1)/Chassis(1)/Blade(1)/Disk(0)"] }]""");
    assertMessage("has no members", "volumes = [{ name = v0, members = [] }]");
    assertMessage("volumes[0]", "volumes = [{ members = [\"Rack(1)/Chassis(1)/Blade(1)/Disk(0)\"] }]");
    assertMessage("must be 1-64 letters", "volumes = [{ name = \"a b\", members = [\"Rack(1)/Chassis(1)/Blade(1)/Disk(0)\"] }]");
  }

  static void assertMessage(String expected, String hocon) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse(hocon));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
