package io.rackshare.node;

import java.io.IOException;
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
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A local cluster of blades, each a child JVM, on embedded defaults ({@link DemoCluster}): four
 * blades with four temporary disk files each, one volume of every layout with hot spares, every
 * volume exported over NBD by every blade. Prints how to reach each blade and what to try, and
 * stops everything on Ctrl-C.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Start a local cluster of blades (child JVMs) with temporary disks: one volume of each layout "
        + "(span, raid0, raid1, raid5, raid10), exported over NBD by every blade.")
final class Demo implements Callable<Integer> {

  @Option(names = "--blades", defaultValue = "4",
      description = "number of blades, at least 4; blades beyond the fourth share no disk (default ${DEFAULT-VALUE})")
  int blades;

  @Option(names = "--disk-mib", defaultValue = "64", description = "size of each disk in MiB (default ${DEFAULT-VALUE})")
  int diskMib;

  @Option(names = "--rebuild-rate", defaultValue = "16MiB",
      description = "rebuild speed limit per second, slow enough to watch (default ${DEFAULT-VALUE})")
  String rebuildRate;

  @Option(names = "--exit", description = "stop once every blade is ready (for scripts)")
  boolean exit;

  @Option(names = "--vm", description = "also boot a stock Linux kernel in qemu on global volumes: root a raid1 "
      + "over blades 3-4, swap on blade 1's memory, a CD from blade 1's removable media, its serial console blade 2's "
      + "console (needs qemu-system-x86, linux-image-cloud-amd64, busybox-static; xorriso for the CD)")
  boolean vm;

  @Option(names = "--vm-io-seconds", defaultValue = "600",
      description = "with --vm: how long the guest keeps writing and reading back (default ${DEFAULT-VALUE})")
  int vmIoSeconds;

  private static final Pattern UP = Pattern.compile("RACKSHARE UP blade=\\S+ oob=(\\S+)");
  private static final Pattern READY = Pattern.compile(
      "RACKSHARE READY blade=(\\S+) pid=(\\d+) .* nbd=(\\S+) mgmt=(\\S+) volumes=(\\S*)");

  @Override
  public Integer call() throws Exception {
    if (blades < DemoCluster.DISK_BLADES || blades > 16) throw new IllegalArgumentException("--blades must be 4-16");
    if (diskMib < 1) throw new IllegalArgumentException("--disk-mib must be >= 1");
    if (!rebuildRate.matches("\\d+\\s*[KMG]?i?B?")) {
      throw new IllegalArgumentException("--rebuild-rate must be a size such as 16MiB");
    }
    io.rackshare.node.vm.GuestHost guestHost = null;
    if (vm) {
      try {
        guestHost = io.rackshare.node.vm.GuestHost.find();
      } catch (io.rackshare.node.vm.GuestHost.Missing m) {
        System.err.println("rackshare demo --vm: " + m.getMessage());
        return 2;
      }
    }
    Path dir = Files.createTempDirectory("rackshare-demo-");
    // The managers' journal: an H2 server in this process, which outlives the blades.
    io.rackshare.persistence.JournalServer.loopbackOnly();
    io.rackshare.persistence.JournalServer journal = io.rackshare.persistence.JournalServer.start(dir.resolve("journal"), 0);
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
      journal.close();
      deleteTree(dir);
      stopped.countDown();
    }));

    // Staged: each blade starts once the one before it is a member, binding its own ports (0: none
    // is picked in advance, so no other JVM can take it meanwhile) and joining through the blades
    // already up. On a small machine, JVMs started all at once starve each other's heartbeats.
    // The cluster's CA, in the demo's directory: each blade gets a certificate of it (mutual TLS on
    // the out-of-band channel), as `rackshare certs` makes them for a real cluster.
    io.rackshare.tls.ClusterCa ca = io.rackshare.tls.ClusterCa.create(dir.resolve("ca"), "rackshare");
    io.rackshare.node.vm.GuestCluster guest = guestHost == null ? null : DemoGuest.prepare(guestHost, dir.resolve("vm"));
    System.out.printf("Starting %d blades as child JVMs in %s (journal %s) ...%n", blades, dir, journal.url());
    List<String> seeds = new ArrayList<>();
    long started = System.nanoTime();
    for (int slot = 1; slot <= blades; slot++) {
      Path bladeDir = dir.resolve("blade" + slot);
      BladeProcess p = BladeProcess.start("blade" + slot, bladeDir, DemoCluster.node(slot, bladeDir, diskMib, 0,
          List.copyOf(seeds), 0, 0, rebuildRate, journal.hocon(),
          tone(slot) + "\n" + (guest == null ? "" : guest.extra(slot))), ca);
      nodes.add(p);
      Matcher up = UP.matcher(p.awaitLine("RACKSHARE UP", Duration.ofSeconds(120)));
      if (!up.find()) throw new IllegalStateException("unexpected UP line from " + p.name());
      seeds.add(up.group(1));
    }

    List<String> uris = new ArrayList<>();
    List<String> mgmt = new ArrayList<>();
    List<String> pids = new ArrayList<>();
    String[] station = {null};
    System.out.printf("%n  %-28s %-8s %-28s %-24s %s%n", "blade", "pid", "NBD", "management", "log");
    for (BladeProcess p : nodes) {
      String ready = p.awaitLine("RACKSHARE READY", Duration.ofSeconds(120));
      Matcher m = READY.matcher(ready);
      if (!m.find()) throw new IllegalStateException("unexpected ready line from " + p.name());
      uris.add(m.group(3));
      mgmt.add(m.group(4));
      pids.add(m.group(2));
      Matcher st = Pattern.compile("station=(\\S+),(\\S+)").matcher(ready);
      if (st.find()) station[0] = "  " + st.group(1) + "   (a VNC viewer; password " + DemoCluster.STATION_PASSWORD
          + ")\n  " + st.group(2) + "#password=" + DemoCluster.STATION_PASSWORD + "   (a browser)";
      System.out.printf("  %-28s %-8s %-28s %-24s %s%n", m.group(1), m.group(2), m.group(3), m.group(4), p.log());
    }
    System.out.printf("%n  %d blades ready in %.1f s.%n", blades, (System.nanoTime() - started) / 1e9);
    if (station[0] != null) {
      System.out.printf("""

          One console station for every blade's console (blade 1 hosts it; it shows blade %d first):
          %s
          Switch it to another blade:
            ./rackshare console --url %s --select 'Rack(1)/Chassis(1)/Blade(3)'
          or type Ctrl-E c 3 Enter in the viewer.%s
          """, guest == null ? 1 : io.rackshare.node.vm.GuestCluster.FIRST_BLADE, station[0], mgmt.get(0),
              tone(2).isEmpty() ? ""
              : "\nAudio: blades 2 and on play a tone of 220 Hz x slot (sox); press 'Audio on' in the browser.");
    }
    String a = uris.get(0);
    String b = uris.get(uris.size() - 1);
    System.out.printf("""

        Volumes, exported by every blade (append the name to a blade's NBD URI):
          span    %4d MiB  disks 0 of blades 1-2 concatenated         (no redundancy)
          raid0   %4d MiB  disks 0 of blades 3-4 striped              (no redundancy)
          raid1   %4d MiB  disks 1 of blades 1-2 mirrored             hot spare: blade 3
          raid5   %4d MiB  disks 2 of blades 1-3 with rotating parity hot spare: blade 4
          raid10  %4d MiB  disks 3 of blades 1-4, striped mirrors     hot spare: blade 4

        Try:
          qemu-io -f raw -c 'write -P 0xab 10M 1M' %sraid5      # write through one blade
          qemu-io -f raw -c 'read -P 0xab 10M 1M' %sraid5       # read it back through another
          nbdinfo --list %s
          fio --name=t --ioengine=nbd --uri=%sraid1 --rw=randrw --bs=4k --size=32M --verify=crc32c
          ./rackshare status --url %s                      # health, members, rebuilds
        A real filesystem (no kernel NBD driver needed):
          mkdir -p /tmp/r1 && nbdfuse /tmp/r1 %sraid1 &
          dev=$(losetup -f --show /tmp/r1/nbd) && mkfs.ext4 $dev && mkdir -p /mnt/r1 && mount $dev /mnt/r1
        Kill blade 2 and watch: the redundant volumes go on degraded while hot spares are rebuilt
        (at %s/s), span reports itself failed until blade 2 is back:
          kill -9 %s && watch ./rackshare status --url %s
        """, 2 * diskMib, 2 * diskMib, diskMib, 2 * diskMib, 2 * diskMib, a, b, a, a, mgmt.get(0), a,
        rebuildRate, pids.get(1), mgmt.get(0));
    if (guest != null) DemoGuest.boot(guest, uris, pids, mgmt.get(0), vmIoSeconds);
    if (exit) {
      System.out.println("Stopping (--exit).");
      return 0;
    }
    System.out.println("Press Ctrl-C to stop every blade and remove " + dir + ".");
    stopped.await();
    return 0;
  }

  static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // the temporary directory may already be gone
    }
  }

  /**
   * Blade {@code slot}'s audio source for the demo, where sox is installed: a sine of 220 Hz times
   * the slot from blade 2 on (the station's own blade 1 has none), so switching the station
   * switches the tone. Empty without sox.
   */
  static String tone(int slot) {
    boolean sox = Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
        .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, "sox")));
    if (slot < 2 || !sox) return "";
    return "blade.audio = [{ command = \"sox -q -n -t raw -r 16000 -e signed -b 16 -c 1 - synth sine " + 220 * slot
        + "\", rate = 16000, channels = 1 }]";
  }
}
