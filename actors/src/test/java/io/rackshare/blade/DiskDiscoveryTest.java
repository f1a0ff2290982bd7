package io.rackshare.blade;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.ResourceConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskDiscoveryTest {

  static final BladeId BLADE = new BladeId(1, 2, 7);
  @TempDir Path dir;

  Config blade(String disks) {
    return ConfigFactory.parseString("data-dir = \"" + dir + "\"\ndisks = " + disks);
  }

  List<DiscoveredResource> discover(String disks) {
    return new DiskDiscovery().discover(BLADE, blade(disks).atKey("blade"));
  }

  @Test
  void createsAndSizesFilesAndNumbersThemInOrder() throws Exception {
    List<DiscoveredResource> found = discover(
        "[{ file = a.img, size = 1MiB }, { file = \"sub/b.img\", size = 64KiB, block-size = 512 }]");
    assertEquals(2, found.size());
    assertEquals(DevicePath.parse("Rack(1)/Chassis(2)/Blade(7)/Disk(0)"), found.get(0).descriptor().path());
    assertEquals(new ResourceConfig.Block(4096, 256), found.get(0).descriptor().config());
    assertEquals(DevicePath.parse("Rack(1)/Chassis(2)/Blade(7)/Disk(1)"), found.get(1).descriptor().path());
    assertEquals(new ResourceConfig.Block(512, 128), found.get(1).descriptor().config());
    assertEquals(1 << 20, Files.size(dir.resolve("a.img")));
    assertEquals(64 << 10, Files.size(dir.resolve("sub/b.img")));
  }

  @Test
  void neverShrinksAnExistingFileNorTouchesItsData() throws Exception {
    Path f = dir.resolve("a.img");
    byte[] data = new byte[2 << 20];
    data[12345] = 42;
    Files.write(f, data);
    discover("[{ file = a.img, size = 1MiB }]");
    assertEquals(2 << 20, Files.size(f));
    assertEquals(42, Files.readAllBytes(f)[12345]);
  }

  /** A real block device: a loop device over a file (needs root and losetup, as on CI). */
  @Test
  void sizesABlockDeviceFromTheKernel() throws Exception {
    Path backing = dir.resolve("loop.img");
    try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(backing.toFile(), "rw")) {
      f.setLength(3 << 20);
    }
    Process attach = new ProcessBuilder("losetup", "-f", "--show", backing.toString())
        .redirectErrorStream(true).start();
    String device = new String(attach.getInputStream().readAllBytes()).trim();
    org.junit.jupiter.api.Assumptions.assumeTrue(attach.waitFor() == 0,
        "no loop devices on this machine: " + device);
    try {
      List<DiscoveredResource> found = discover("[{ device = \"" + device + "\", block-size = 512 }]");
      assertEquals(new ResourceConfig.Block(512, 6144), found.get(0).descriptor().config());
      // An explicit size may only shrink what the device has.
      found = discover("[{ device = \"" + device + "\", size = 1MiB }]");
      assertEquals(new ResourceConfig.Block(4096, 256), found.get(0).descriptor().config());
    } finally {
      new ProcessBuilder("losetup", "-d", device).start().waitFor();
    }
  }

  @Test
  void mistakesNameTheEntry() {
    assertError("disks[0]", "needs either file", "[{ size = 1MiB }]");
    assertError("disks[1]", "size", "[{ file = a.img, size = 1MiB }, { file = b.img }]");
    assertError("disks[0]", "power of two", "[{ file = a.img, size = 1MiB, block-size = 1000 }]");
    assertError("disks[0]", "smaller than one block", "[{ file = a.img, size = 100 }]");
    assertError("disks[0]", "not a block device", "[{ device = \"" + dir + "\" }]");
  }

  void assertError(String where, String what, String disks) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> discover(disks));
    assertTrue(e.getMessage().contains(where) && e.getMessage().contains(what), e.getMessage());
  }
}
