package io.rackshare.multijvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.node.vm.GuestCd;
import io.rackshare.node.vm.GuestCluster;
import io.rackshare.node.vm.GuestConsole;
import io.rackshare.node.vm.GuestHost;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * An unmodified OS on global resources (issue 16, point 5): Debian's stock kernel with a busybox
 * initramfs in qemu (TCG where KVM cannot run) on the demo's blades as separate JVMs
 * ({@link GuestCluster}): its root disk the raid1 volume {@code vm-root} over NBD, its copies on
 * blades 3 and 4; swap on {@code vm-swap}, blade 1's memory (pages pushed out to it and read back); its serial console blade 2's console,
 * read from the console station (blade 1) as an operator would watch it. The first boot, through
 * blade 2, makes an ext2 filesystem, writes files and their sha256 sums, then writes and reads
 * back in a loop; once it loops, blade 3 (a root copy) is SIGKILLed; the guest must go on (rounds
 * after the volume is seen degraded), log no I/O error (its dmesg) and power off cleanly. A second
 * boot through blade 1 verifies every file from the surviving copy.
 *
 * <p>Both boots also check a CD: removable media {@code cd0} of blade 1 (an ISO made with
 * xorriso), read-only over NBD through the booting blade; {@code -Drackshare.it.vm-cd=off} leaves
 * it out.
 */
class VmBootIT {

  static final Duration T = Duration.ofMinutes(2);
  /** How long the first boot writes and reads after its files. */
  static final int IO_SECONDS = 12;
  static final boolean CD = "on".equals(System.getProperty("rackshare.it.vm-cd", "on"));
  static final Pattern ROUND = Pattern.compile("RACKSHARE-VM: io round (\\d+)");
  static final Pattern DONE = Pattern.compile("RACKSHARE-VM: io done rounds (\\d+)");
  /** Anything that means the guest or its disks failed. */
  static final Predicate<String> FATAL = l -> l.startsWith("RACKSHARE-VM: FAILED")
      || l.startsWith("RACKSHARE-VM: io mismatch") || l.startsWith("RACKSHARE-VM: io files changed")
      || l.startsWith("RACKSHARE-VM: io write failed") || l.startsWith("RACKSHARE-VM: dmesg errors")
      || l.startsWith("RACKSHARE-VM: files failed") || l.startsWith("RACKSHARE-VM: cd failed")
      || l.contains("I/O error") || l.contains("Kernel panic")
      || (l.startsWith("RACKSHARE-VM: qemu exited with") && !l.equals("RACKSHARE-VM: qemu exited with 0"));

  DemoBlades blades;
  GuestConsole console;

  @AfterEach
  void stop() throws Exception {
    try {
      if (blades != null) blades.close();
    } finally {
      // A console's qemu goes with its blade; one left by a blade that died is stopped here.
      if (console != null) {
        for (int slot : List.of(GuestCluster.FIRST_BLADE, GuestCluster.VERIFY_BLADE)) {
          console.qemu(slot).ifPresent(ProcessHandle::destroyForcibly);
        }
      }
    }
  }

  @Test
  void aStockKernelKeepsItsFilesThroughTheDeathOfABladeUnderItsRootDisk() throws Exception {
    GuestHost host;
    try {
      host = GuestHost.find();
    } catch (GuestHost.Missing m) {
      Assumptions.assumeTrue(false, "skipped: " + m.getMessage());
      return;
    }
    long started = System.nanoTime();
    Path dir = TestDirs.fresh(VmBootIT.class);
    Path media = null;
    if (CD) {
      try {
        media = GuestCd.make(dir.resolve("media")).getParent();
      } catch (GuestHost.Missing m) {
        Assumptions.assumeTrue(false, "skipped: " + m.getMessage() + " (or -Drackshare.it.vm-cd=off)");
      }
    }
    console = GuestConsole.prepare(host, dir.resolve("vm"));
    GuestCluster vm = new GuestCluster(console, media);
    blades = new DemoBlades(dir, 4, 16, "64MiB", vm::extra);
    blades.startAll();
    log("blades ready", started);
    int first = GuestCluster.FIRST_BLADE;
    blades.await(first, "vm-root and vm-swap optimal", s -> s.volumes().stream()
        .filter(v -> v.name().equals(GuestCluster.ROOT) || v.name().equals(GuestCluster.SWAP))
        .filter(v -> v.health().equalsIgnoreCase("optimal")).count() == 2, T);

    StationLog station = new StationLog(blades.mgmt.get(1), blades.operatorToken(1));
    station.select(DemoBlades.blade(first), T);
    station.await("blade 2's console waits for a boot", l -> l.startsWith("RACKSHARE-VM: console ready"), FATAL, T);
    console.request(first, vm.first(blades.nbd.get(first), IO_SECONDS));
    long boot = System.nanoTime();
    station.await("the files written", l -> l.equals("RACKSHARE-VM: files written 8"), FATAL, T);
    log("first boot: files written", boot);
    String swap = station.await("swap on", l -> l.startsWith("RACKSHARE-VM: swap on "), FATAL, T);
    Matcher kib = Pattern.compile("swap on /dev/vd[a-z] (\\d+) KiB").matcher(swap);
    assertTrue(kib.find() && Integer.parseInt(kib.group(1)) > (GuestCluster.SWAP_MIB - 2) * 1024, swap);
    String used = station.await("pages swapped out and back", l -> l.startsWith("RACKSHARE-VM: swap used "), FATAL, T);
    Matcher u = Pattern.compile("swap used (\\d+) KiB").matcher(used);
    assertTrue(u.find() && Integer.parseInt(u.group(1)) > 1024, "the guest swapped out more than a MiB: " + used);
    if (CD) station.await("the CD checked", l -> l.equals("RACKSHARE-VM: cd verified 1"), FATAL, T);
    station.await("the guest writing", l -> l.equals("RACKSHARE-VM: io round 1"), FATAL, T);

    int killed = GuestCluster.ROOT_BLADES.get(0);
    blades.kill(killed);
    log("blade " + killed + " killed", boot);
    int roundDegraded = awaitDegraded(station);
    log("vm-root degraded at round " + roundDegraded, boot);
    String done = station.await("the I/O loop's end", l -> DONE.matcher(l).matches(), FATAL, T);
    Matcher d = DONE.matcher(done);
    assertTrue(d.matches());
    int rounds = Integer.parseInt(d.group(1));
    assertTrue(rounds >= roundDegraded + 2, "the guest wrote and read back " + (rounds - roundDegraded)
        + " rounds after vm-root was seen degraded (round " + roundDegraded + " of " + rounds + ")");
    station.await("a clean dmesg", l -> l.equals("RACKSHARE-VM: dmesg clean"), FATAL, T);
    station.await("qemu's clean exit", l -> l.equals("RACKSHARE-VM: qemu exited with 0"), FATAL, T);
    log("first boot done (" + rounds + " rounds)", boot);
    assertTrue(volumeRequests(first, "write") > 0, "blade 2 carried the guest's writes");

    // Again through another blade, with one copy of the root volume left.
    int verify = GuestCluster.VERIFY_BLADE;
    station.select(DemoBlades.blade(verify), T);
    station.await("blade 1's console waits for a boot", l -> l.startsWith("RACKSHARE-VM: console ready"), FATAL, T);
    double readsBefore = volumeRequests(verify, "read");
    console.request(verify, vm.verify(blades.nbd.get(verify)));
    boot = System.nanoTime();
    if (CD) station.await("the CD checked", l -> l.equals("RACKSHARE-VM: cd verified 1"), FATAL, T);
    station.await("the files verified", l -> l.equals("RACKSHARE-VM: files verified 12"), FATAL, T);
    station.await("a clean dmesg", l -> l.equals("RACKSHARE-VM: dmesg clean"), FATAL, T);
    station.await("qemu's clean exit", l -> l.equals("RACKSHARE-VM: qemu exited with 0"), FATAL, T);
    log("verify boot done", boot);
    String screen = station.screen();
    assertTrue(screen.lines().anyMatch(l -> l.trim().equals("RACKSHARE-VM: files verified 12")),
        "the station's screen shows the guest's console:\n" + screen);
    assertTrue(volumeRequests(verify, "read") > readsBefore, "blade 1 carried the verify boot's reads");
    assertEquals("degraded", DemoBlades.volume(blades.status(1), GuestCluster.ROOT).health().toLowerCase(),
        "blade " + killed + " stayed down: the files came from one copy");
    log("whole test", started);
  }

  /**
   * Waits until blade 1 sees vm-root degraded, failing at once if the guest reports a failure
   * meanwhile; returns the last round the guest had finished once it was seen.
   */
  int awaitDegraded(StationLog station) throws Exception {
    long deadline = System.nanoTime() + T.toNanos();
    String health = "";
    while (System.nanoTime() < deadline) {
      health = DemoBlades.volume(blades.status(1), GuestCluster.ROOT).health();
      List<String> lines = station.checked(FATAL, "while vm-root is " + health);
      if (health.equalsIgnoreCase("degraded")) return lastRound(lines);
      Thread.sleep(300); // polling other processes' endpoints
    }
    throw new AssertionError("vm-root not degraded within " + T + ": " + health);
  }

  static int lastRound(List<String> lines) {
    int last = 0;
    for (String l : lines) {
      Matcher m = ROUND.matcher(l);
      if (m.matches()) last = Math.max(last, Integer.parseInt(m.group(1)));
    }
    return last;
  }

  /** {@code rackshare_volume_requests_total} of vm-root for {@code op} on blade {@code slot}. */
  double volumeRequests(int slot, String op) throws Exception {
    String body = io.rackshare.testkit.StatusPoller.get(blades.mgmt.get(slot) + "/metrics").body();
    return body.lines().filter(l -> l.startsWith("rackshare_volume_requests_total{")
            && l.contains("volume=\"" + GuestCluster.ROOT + "\"") && l.contains("op=\"" + op + "\""))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  static void log(String what, long since) {
    System.out.printf("VmBootIT: %s after %.1f s%n", what, (System.nanoTime() - since) / 1e9);
  }
}
