package io.rackshare.node.vm;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What this host has for booting the guest, found at run time: a stock kernel in {@code /boot}
 * with its modules in {@code /lib/modules/<version>} (the running kernel's version first, else
 * the newest installed), a statically linked busybox, and {@code qemu-system-x86_64} on the
 * {@code PATH}. {@link #find()} says exactly what is missing (Debian: {@code apt-get install
 * qemu-system-x86 linux-image-cloud-amd64 busybox-static}). The accelerator is {@code kvm} where
 * the CPU has virtualization (vmx or svm in {@code /proc/cpuinfo}) and {@code /dev/kvm} opens,
 * else {@code tcg}: on a CPU without them {@code /dev/kvm} may exist and qemu's KVM start without
 * error, but the guest never runs (seen here), so qemu's own fallback ({@code -accel kvm -accel
 * tcg}) is not enough.
 */
public record GuestHost(Path kernel, Path modules, Path busybox, Path qemu, String accel) {

  /** What the host lacks for the guest, in one sentence. */
  public static final class Missing extends Exception {
    public Missing(String message) {
      super(message);
    }
  }

  /** Finds everything under the usual places ({@code /boot}, {@code /lib/modules}, {@code PATH}). */
  public static GuestHost find() throws Missing {
    return find(Path.of("/boot"), Path.of("/lib/modules"), System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
  }

  static GuestHost find(Path boot, Path moduleRoot, String path) throws Missing {
    Path qemu = onPath("qemu-system-x86_64", path)
        .orElseThrow(() -> new Missing("no qemu-system-x86_64 on the PATH (Debian: apt-get install qemu-system-x86)"));
    Path busybox = Stream.concat(Stream.of(Path.of("/bin/busybox"), Path.of("/usr/bin/busybox")),
            onPath("busybox", path).stream())
        .filter(Files::isRegularFile).findFirst()
        .orElseThrow(() -> new Missing("no busybox (Debian: apt-get install busybox-static)"));
    if (dynamicallyLinked(busybox)) {
      throw new Missing(busybox + " is dynamically linked; the guest needs a static one (Debian: apt-get install busybox-static)");
    }
    String running = System.getProperty("os.version", "");
    List<String> versions;
    try (Stream<Path> s = Files.exists(boot) ? Files.list(boot) : Stream.empty()) {
      versions = s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("vmlinuz-"))
          .map(n -> n.substring("vmlinuz-".length()))
          .filter(v -> Files.isRegularFile(moduleRoot.resolve(v).resolve("modules.dep")))
          .sorted(Comparator.comparing((String v) -> !v.equals(running)).thenComparing(GuestHost::versionOrder))
          .toList();
    } catch (IOException e) {
      throw new Missing("cannot list " + boot + ": " + e.getMessage());
    }
    if (versions.isEmpty()) {
      throw new Missing("no kernel in " + boot + " (vmlinuz-VERSION) with modules in " + moduleRoot
          + "/VERSION (Debian: apt-get install linux-image-cloud-amd64)");
    }
    Path kernel = boot.resolve("vmlinuz-" + versions.get(0));
    if (!Files.isReadable(kernel)) throw new Missing(kernel + " is not readable by this user");
    return new GuestHost(kernel, moduleRoot.resolve(versions.get(0)), busybox, qemu,
        kvmWorks(Path.of("/proc/cpuinfo"), Path.of("/dev/kvm")) ? "kvm" : "tcg");
  }

  /** Whether the CPU has vmx or svm and {@code kvm} opens for reading and writing. */
  static boolean kvmWorks(Path cpuinfo, Path kvm) {
    try {
      boolean flags = Files.readAllLines(cpuinfo).stream()
          .filter(l -> l.startsWith("flags"))
          .anyMatch(l -> java.util.Arrays.asList(l.split("\\s+")).stream().anyMatch(f -> f.equals("vmx") || f.equals("svm")));
      return flags && Files.isReadable(kvm) && Files.isWritable(kvm);
    } catch (IOException e) {
      return false;
    }
  }

  /** Newest first: compares dotted numbers numerically ({@code 6.10} after {@code 6.9}). */
  private static int versionOrder(String a, String b) {
    String[] x = a.split("[.-]");
    String[] y = b.split("[.-]");
    for (int i = 0; i < Math.min(x.length, y.length); i++) {
      int c = x[i].matches("\\d+") && y[i].matches("\\d+")
          ? Long.compare(Long.parseLong(y[i]), Long.parseLong(x[i])) : y[i].compareTo(x[i]);
      if (c != 0) return c;
    }
    return Integer.compare(y.length, x.length);
  }

  static Optional<Path> onPath(String program, String path) {
    for (String dir : path.split(":")) {
      if (dir.isEmpty()) continue;
      Path p = Path.of(dir, program);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) return Optional.of(p);
    }
    return Optional.empty();
  }

  /** Whether the ELF file has a program interpreter (PT_INTERP): a dynamically linked executable. */
  static boolean dynamicallyLinked(Path elf) throws Missing {
    try (InputStream in = Files.newInputStream(elf)) {
      byte[] head = in.readNBytes(64);
      if (head.length < 64 || head[0] != 0x7f || head[1] != 'E' || head[2] != 'L' || head[3] != 'F' || head[4] != 2) {
        throw new Missing(elf + " is not a 64-bit ELF executable");
      }
      ByteBuffer h = ByteBuffer.wrap(head).order(head[5] == 1 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
      long phoff = h.getLong(32);
      int phentsize = Short.toUnsignedInt(h.getShort(54));
      int phnum = Short.toUnsignedInt(h.getShort(56));
      byte[] all = Files.readAllBytes(elf);
      ByteBuffer b = ByteBuffer.wrap(all).order(h.order());
      for (int i = 0; i < phnum; i++) {
        long at = phoff + (long) i * phentsize;
        if (at + 4 > all.length) break;
        if (b.getInt((int) at) == 3) return true; // PT_INTERP
      }
      return false;
    } catch (IOException e) {
      throw new Missing("cannot read " + elf + ": " + e.getMessage());
    }
  }

  /** The kernel's version, as its modules directory is named. */
  public String version() {
    return modules.getFileName().toString();
  }
}
