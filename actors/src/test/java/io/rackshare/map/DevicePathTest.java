package io.rackshare.map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class DevicePathTest {

  @Test
  void printsThePatentsForm() {
    DevicePath p = DevicePath.disk(new BladeId(1, 1, 3), 0);
    assertEquals("Rack(1)/Chassis(1)/Blade(3)/Disk(0)", p.toString());
  }

  @Test
  void parsesWhatItPrints() {
    DevicePath p = new DevicePath(new BladeId(2, 7, 16), "Ram", 4);
    assertEquals(p, DevicePath.parse(p.toString()));
    assertEquals(p, DevicePath.parse("  " + p + " "));
  }

  @Test
  void rejectsMalformedPathsWithTheInputInTheMessage() {
    for (String bad : List.of("", "Rack(1)/Chassis(1)/Blade(3)", "Rack(1)/Chassis(1)/Blade(x)/Disk(0)",
        "Rack(1)/Chassis(1)/Blade(3)/disk(0)", "Rack(1)/Chassis(1)/Blade(3)/Disk(0)/Extra(1)",
        "Rack(99999999999)/Chassis(1)/Blade(3)/Disk(0)")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DevicePath.parse(bad));
      assertTrue(e.getMessage().contains(bad), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> DevicePath.parse(null));
    assertThrows(IllegalArgumentException.class, () -> new BladeId(1, -1, 3));
    assertThrows(IllegalArgumentException.class, () -> new DevicePath(new BladeId(1, 1, 1), "Disk", -1));
  }

  @Test
  void ordersByRackChassisSlotKindIndex() {
    DevicePath a = DevicePath.parse("Rack(1)/Chassis(1)/Blade(2)/Disk(1)");
    DevicePath b = DevicePath.parse("Rack(1)/Chassis(1)/Blade(10)/Disk(0)");
    DevicePath c = DevicePath.parse("Rack(1)/Chassis(2)/Blade(1)/Disk(0)");
    DevicePath d = DevicePath.parse("Rack(1)/Chassis(1)/Blade(2)/Disk(0)");
    List<DevicePath> list = new ArrayList<>(List.of(c, b, a, d));
    Collections.sort(list);
    assertEquals(List.of(d, a, b, c), list);
  }
}
