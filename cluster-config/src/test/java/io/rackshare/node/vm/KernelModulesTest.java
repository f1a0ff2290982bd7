package io.rackshare.node.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resolving the guest's drivers against a made-up {@code /lib/modules/VERSION}. */
class KernelModulesTest {

  static void module(Path dir, String path, byte[] content) throws Exception {
    Path p = dir.resolve(path);
    Files.createDirectories(p.getParent());
    if (path.endsWith(".gz")) {
      try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(p))) {
        o.write(content);
      }
    } else {
      Files.write(p, content);
    }
  }

  static Path tree(Path dir) throws Exception {
    Files.writeString(dir.resolve("modules.dep"), """
        kernel/drivers/virtio/virtio_ring.ko:
        kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
        kernel/drivers/block/virtio_blk.ko.gz: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
        kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
        kernel/fs/isofs/isofs.ko.zst: kernel/drivers/cdrom/cdrom.ko
        kernel/drivers/cdrom/cdrom.ko:
        """);
    Files.writeString(dir.resolve("modules.builtin"), "kernel/fs/ext4/ext4.ko\nkernel/fs/jbd2/jbd2.ko\n");
    module(dir, "kernel/drivers/virtio/virtio_ring.ko", new byte[] {1});
    module(dir, "kernel/drivers/virtio/virtio.ko", new byte[] {2});
    module(dir, "kernel/drivers/block/virtio_blk.ko.gz", new byte[] {3, 3});
    module(dir, "kernel/drivers/virtio/virtio_pci.ko", new byte[] {4});
    module(dir, "kernel/fs/isofs/isofs.ko.zst", new byte[] {5});
    module(dir, "kernel/drivers/cdrom/cdrom.ko", new byte[] {6});
    return dir;
  }

  @Test
  void dependenciesComeFirstOnceAndGzipIsUnpacked(@TempDir Path dir) throws Exception {
    KernelModules k = KernelModules.read(tree(dir));
    List<KernelModules.Module> m = k.resolve(List.of("virtio-pci", "virtio_blk", "ext4"));
    assertEquals(List.of("virtio_ring", "virtio", "virtio_pci", "virtio_blk"), m.stream().map(KernelModules.Module::name).toList());
    assertEquals("virtio_blk.ko", m.get(3).fileName());
    assertArrayEquals(new byte[] {3, 3}, m.get(3).content());
    assertTrue(k.isBuiltin("ext4"));
  }

  @Test
  void unknownDriversAndZstdAreClearErrors(@TempDir Path dir) throws Exception {
    KernelModules k = KernelModules.read(tree(dir));
    var missing = assertThrows(java.io.IOException.class, () -> k.resolve(List.of("nvme")));
    assertTrue(missing.getMessage().contains("has no module nvme"), missing.getMessage());
    var zst = assertThrows(java.io.IOException.class, () -> k.resolve(List.of("isofs")));
    assertTrue(zst.getMessage().contains("busybox insmod cannot load"), zst.getMessage());
  }
}
