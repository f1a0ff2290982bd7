package io.rackshare.node.vm;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;

/**
 * The guest's initramfs: a gzip'd newc cpio ({@link CpioArchive}) of the host's static busybox
 * as {@code /bin/busybox}, the guest's {@code /init} (the {@code init.sh} resource: what each
 * boot does, see its header) and the kernel modules the guest needs that the kernel does not
 * build in ({@link #DRIVERS}, with their dependencies from {@code modules.dep}), listed in load
 * order in {@code /lib/modules/load}.
 */
public final class GuestImage {
  private GuestImage() {}

  /** virtio disks over PCI (root, swap, the CD), and ISO 9660 for the CD; ext2 is served by ext4. */
  public static final List<String> DRIVERS = List.of("virtio_pci", "virtio_blk", "isofs");

  /** The guest's {@code /init} script. */
  public static String init() throws IOException {
    try (InputStream in = GuestImage.class.getResourceAsStream("init.sh")) {
      if (in == null) throw new IOException("init.sh is missing from the class path");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** Writes the initramfs for {@code host}'s kernel to {@code out} (replaced atomically). */
  public static void build(GuestHost host, Path out) throws IOException {
    KernelModules kernel = KernelModules.read(host.modules());
    List<String> drivers = DRIVERS.stream().filter(d -> !kernel.isBuiltin(d)).toList();
    if (!kernel.isBuiltin("ext4") && !kernel.isBuiltin("ext2")) {
      throw new IOException("the kernel in " + host.modules() + " builds in neither ext4 nor ext2");
    }
    List<KernelModules.Module> modules = kernel.resolve(drivers);
    Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
    try (OutputStream file = Files.newOutputStream(tmp);
        CpioArchive cpio = new CpioArchive(new GZIPOutputStream(file, 1 << 16))) {
      for (String d : List.of("bin", "dev", "proc", "sys", "tmp", "mnt", "lib", "lib/modules")) cpio.directory(d, 0755);
      cpio.file("bin/busybox", 0755, Files.readAllBytes(host.busybox()));
      cpio.symlink("bin/sh", "busybox");
      cpio.file("init", 0755, init().getBytes(StandardCharsets.UTF_8));
      for (KernelModules.Module m : modules) cpio.file("lib/modules/" + m.fileName(), 0644, m.content());
      cpio.file("lib/modules/load", 0644, modules.stream().map(m -> "/lib/modules/" + m.fileName() + "\n")
          .collect(Collectors.joining()).getBytes(StandardCharsets.UTF_8));
    }
    Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
