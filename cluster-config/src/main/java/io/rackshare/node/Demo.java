package io.rackshare.node;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A local cluster of blades, each a child JVM, on embedded defaults: every blade shares one
 * temporary disk file, the manager spans them into volume {@code span}, and every blade exports
 * it over NBD. Prints how to reach each blade, and stops everything on Ctrl-C.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Start a local cluster of blades (child JVMs) with temporary disks; every blade exports the volumes over NBD.")
final class Demo implements Callable<Integer> {

  @Option(names = "--blades", defaultValue = "3", description = "number of blades (default ${DEFAULT-VALUE})")
  int blades;

  @Option(names = "--disk-mib", defaultValue = "256", description = "disk size per blade in MiB (default ${DEFAULT-VALUE})")
  int diskMib;

  @Option(names = "--exit", description = "stop once every blade is ready (for scripts)")
  boolean exit;

  private static final Pattern READY =
      Pattern.compile("RACKSHARE READY blade=(\\S+) pid=(\\d+) .* nbd=(\\S+) volumes=(\\S*)");

  @Override
  public Integer call() throws Exception {
    if (blades < 1 || blades > 16) throw new IllegalArgumentException("--blades must be 1-16");
    if (diskMib < 1) throw new IllegalArgumentException("--disk-mib must be >= 1");
    Path dir = Files.createTempDirectory("rackshare-demo-");
    String members = IntStream.rangeClosed(1, blades)
        .mapToObj(s -> "\"Rack(1)/Chassis(1)/Blade(" + s + ")/Disk(0)\"")
        .collect(Collectors.joining(", "));
    List<BladeProcess> nodes = new ArrayList<>();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      // Signal every blade first, then wait for each: they leave the cluster together.
      nodes.forEach(BladeProcess::terminate);
      for (BladeProcess p : nodes) {
        try {
          p.close();
        } catch (InterruptedException ignored) {
          Thread.currentThread().interrupt();
        }
      }
      deleteTree(dir);
      stopped.countDown();
    }));

    int seedPort = freePort();
    System.out.printf("Starting %d blades as child JVMs in %s ...%n", blades, dir);
    for (int slot = 1; slot <= blades; slot++) {
      Path bladeDir = dir.resolve("blade" + slot);
      String config = """
          rackshare {
            blade { slot = %d, data-dir = "%s", disks = [{ file = disk0.img, size = %dMiB }] }
            oob { hostname = "127.0.0.1", port = %d }
            seed-nodes = ["127.0.0.1:%d"]
            nbd { port = %d }
            volumes = [{ name = span, layout = span, members = [%s] }]
          }
          """.formatted(slot, bladeDir, diskMib, slot == 1 ? seedPort : freePort(), seedPort,
          freePort(), members);
      nodes.add(BladeProcess.start("blade" + slot, bladeDir, config));
    }

    List<String> uris = new ArrayList<>();
    System.out.printf("%n  %-30s %-8s %-36s %s%n", "blade", "pid", "NBD", "log");
    for (BladeProcess p : nodes) {
      Matcher m = READY.matcher(p.awaitLine("RACKSHARE READY", Duration.ofSeconds(120)));
      if (!m.find()) throw new IllegalStateException("unexpected ready line from " + p.name());
      uris.add(m.group(3));
      System.out.printf("  %-30s %-8s %-36s %s%n", m.group(1), m.group(2), m.group(3) + "span", p.log());
    }
    String a = uris.get(0) + "span";
    String b = uris.get(uris.size() - 1) + "span";
    System.out.printf("""

        Volume "span" spans the %d blades' disks (%d MiB); every blade exports it. Try:
          qemu-io -f raw -c 'write -P 0xab 100M 1M' %s      # write through one blade
          qemu-io -f raw -c 'read -P 0xab 100M 1M' %s       # read it back through another
          nbdinfo --list %s
          fio --name=t --ioengine=nbd --uri=%s --rw=randrw --bs=4k --size=64M --verify=crc32c
        A real filesystem (no kernel NBD driver needed):
          mkdir -p /tmp/span && nbdfuse /tmp/span %s &
          dev=$(losetup -f --show /tmp/span/nbd) && mkfs.ext4 $dev && mkdir -p /mnt/span && mount $dev /mnt/span
        Kill a blade to watch the cluster cope: kill -9 <pid>
        """, blades, (long) blades * diskMib, a, b, uris.get(0), a, b);
    if (exit) {
      System.out.println("Stopping (--exit).");
      return 0;
    }
    System.out.println("Press Ctrl-C to stop every blade and remove " + dir + ".");
    stopped.await();
    return 0;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // the temporary directory may already be gone
    }
  }
}
