package io.rackshare.node.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding the kernel, its modules, busybox and qemu, and saying what is missing. */
class GuestHostTest {

  static void kernel(Path boot, Path modules, String version) throws Exception {
    Files.createDirectories(boot);
    Files.write(boot.resolve("vmlinuz-" + version), new byte[] {1});
    Files.createDirectories(modules.resolve(version));
    Files.writeString(modules.resolve(version).resolve("modules.dep"), "");
  }

  @Test
  void theNewestKernelWithModulesIsChosenAndMissingPartsAreNamed(@TempDir Path dir) throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(Path.of("/bin/busybox"))
        && !GuestHost.dynamicallyLinked(Path.of("/bin/busybox")), "skipped: no static /bin/busybox (busybox-static)");
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path qemu = Files.writeString(bin.resolve("qemu-system-x86_64"), "#!/bin/sh\n");
    qemu.toFile().setExecutable(true);
    Path boot = dir.resolve("boot");
    Path modules = dir.resolve("modules");
    var none = assertThrows(GuestHost.Missing.class, () -> GuestHost.find(boot, modules, bin.toString()));
    assertTrue(none.getMessage().contains("linux-image-cloud-amd64"), none.getMessage());
    kernel(boot, modules, "6.9.0-1-cloud-amd64");
    kernel(boot, modules, "6.10.0-1-cloud-amd64");
    Files.write(boot.resolve("vmlinuz-6.11.0-1-cloud-amd64"), new byte[] {1}); // no modules: not usable
    GuestHost h = GuestHost.find(boot, modules, bin.toString());
    assertEquals("6.10.0-1-cloud-amd64", h.version());
    assertEquals(boot.resolve("vmlinuz-6.10.0-1-cloud-amd64"), h.kernel());
    var noQemu = assertThrows(GuestHost.Missing.class, () -> GuestHost.find(boot, modules, dir.resolve("none").toString()));
    assertTrue(noQemu.getMessage().contains("qemu-system-x86"), noQemu.getMessage());
  }

  @Test
  void kvmOnlyWhereTheCpuCanVirtualize(@TempDir Path dir) throws Exception {
    Path kvm = Files.writeString(dir.resolve("kvm"), "");
    Path without = Files.writeString(dir.resolve("a"), "processor\t: 0\nflags\t\t: fpu vme sse2 hypervisor\n");
    Path with = Files.writeString(dir.resolve("b"), "processor\t: 0\nflags\t\t: fpu vme vmx sse2\n");
    assertFalse(GuestHost.kvmWorks(without, kvm));
    assertTrue(GuestHost.kvmWorks(with, kvm));
    assertFalse(GuestHost.kvmWorks(with, dir.resolve("no-kvm")));
  }

  @Test
  void aDynamicallyLinkedBusyboxIsRefused() throws Exception {
    Path sh = Path.of("/bin/sh").toRealPath();
    Path busybox = Path.of("/bin/busybox");
    if (Files.isRegularFile(sh)) assertTrue(GuestHost.dynamicallyLinked(sh), sh + " has an interpreter");
    if (Files.isRegularFile(busybox)) assertFalse(GuestHost.dynamicallyLinked(busybox), "busybox-static has none");
  }
}
