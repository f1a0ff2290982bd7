package io.rackshare.node;

import io.rackshare.node.vm.GuestCluster;
import io.rackshare.node.vm.QemuGuest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * {@code rackshare demo --vm}: once the blades are ready, boots the guest ({@link GuestCluster})
 * through blade 2's console, leaves a verify boot through blade 1 ready to be asked for, and
 * prints how to watch the guest and what to try.
 */
final class DemoGuest {
  private DemoGuest() {}

  /** Builds the guest in {@code dir}, with a CD where xorriso or genisoimage can make one (else says why not). */
  static GuestCluster prepare(io.rackshare.node.vm.GuestHost host, Path dir) throws Exception {
    io.rackshare.node.vm.GuestConsole console = io.rackshare.node.vm.GuestConsole.prepare(host, dir);
    Path media = dir.resolve("media");
    try {
      io.rackshare.node.vm.GuestCd.make(media);
    } catch (io.rackshare.node.vm.GuestHost.Missing m) {
      System.out.println("rackshare demo --vm: the guest gets no CD: " + m.getMessage());
      media = null;
    }
    return new GuestCluster(console, media);
  }

  /** {@code uris}, {@code pids}: each blade's NBD address and pid, by slot from 1. */
  static void boot(GuestCluster guest, List<String> uris, List<String> pids, String mgmt, int ioSeconds)
      throws IOException {
    int first = GuestCluster.FIRST_BLADE;
    int verify = GuestCluster.VERIFY_BLADE;
    int copy = GuestCluster.ROOT_BLADES.get(0);
    QemuGuest boot = guest.first(uris.get(first - 1), ioSeconds);
    guest.console().request(first, boot);
    // The verify boot, made now and asked for by moving it in place (a rename: the console sees it whole).
    Path ready = guest.console().dir().resolve("verify-through-blade" + verify);
    guest.console().request(verify, guest.verify(uris.get(verify - 1)));
    Files.move(guest.console().requestFile(verify), ready, StandardCopyOption.REPLACE_EXISTING);
    System.out.printf("""

        A stock Linux kernel (%s) with a busybox initramfs boots in qemu (%s) on global volumes:
          root  %-8s raid1 of a disk of blades %s, over NBD through blade %d
          swap  %-8s blade %d's memory (a RAM volume)%s
        Its serial console is blade %d's console: the station above shows it. It makes a filesystem,
        writes files and their sums, then writes and reads back for %d s; then checks its dmesg for
        I/O errors and powers off ("RACKSHARE-VM: ..." lines say how it went). Meanwhile, kill a blade
        that holds a copy of its root disk and watch it go on:
          kill -9 %s && ./rackshare status --url %s
        Once it has powered off, boot it again through blade %d (it verifies every file's sum):
          ./rackshare console --url %s --select '%s'
          mv %s %s
        The qemu command line:
          %s
        """, guest.console().host().version(), guest.console().host().accel(),
        GuestCluster.ROOT, GuestCluster.ROOT_BLADES, first, GuestCluster.SWAP, GuestCluster.SWAP_BLADE,
        guest.cdDir() == null ? "" : String.format("%n  cd    %-8s removable media of blade %d, read-only", io.rackshare.node.vm.GuestCd.NAME,
            GuestCluster.CD_BLADE), first,
        ioSeconds, pids.get(copy - 1), mgmt, verify, mgmt, GuestCluster.blade(verify), ready,
        guest.console().requestFile(verify), String.join(" ", boot.command()));
  }
}
