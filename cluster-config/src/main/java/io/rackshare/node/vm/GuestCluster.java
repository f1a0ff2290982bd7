package io.rackshare.node.vm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The guest on the demo's cluster ({@link io.rackshare.node.DemoCluster}), as {@code ./rackshare
 * demo --vm} and {@code VmBootIT} run it:
 *
 * <pre>
 *   vm-root  raid1: a 5th disk (vm-root.img) of blades 3 and 4     the guest's root disk
 *   vm-swap  span: Memory(0) of blade 1 (a RAM volume)              its swap
 *   cd0      removable media of blade 1, read-only (with a CD)      its CD
 *   first boot through blade 2's console and NBD export (no copy of vm-root on it)
 *   verify boot through blade 1's
 * </pre>
 *
 * The console station (on blade 1) shows blade 2 first. {@link #extra} is each blade's HOCON
 * beside the demo's; {@code cdDir} ({@code null}: no CD) is the media directory holding {@link
 * GuestCd#IMAGE}.
 */
public record GuestCluster(GuestConsole console, Path cdDir) {

  public static final String ROOT = "vm-root";
  public static final String SWAP = "vm-swap";
  /** The blades holding the copies of the root volume. */
  public static final List<Integer> ROOT_BLADES = List.of(3, 4);
  /** The blade whose memory is the swap volume (it also hosts the station). */
  public static final int SWAP_BLADE = 1;
  /** The blade whose removable media drive holds the CD. */
  public static final int CD_BLADE = 1;
  /** The blade through which the first boot reaches its disks, and whose console shows it. */
  public static final int FIRST_BLADE = 2;
  /** Another blade, for the boot that verifies the files. */
  public static final int VERIFY_BLADE = 1;
  public static final int ROOT_MIB = 64;
  public static final int SWAP_MIB = 32;

  public static String blade(int slot) {
    return "Rack(1)/Chassis(1)/Blade(" + slot + ")";
  }

  /** HOCON inside {@code rackshare} for blade {@code slot}, after the demo's configuration. */
  public String extra(int slot) {
    StringBuilder b = new StringBuilder();
    if (ROOT_BLADES.contains(slot)) b.append("blade.disks += { file = \"vm-root.img\", size = ").append(ROOT_MIB).append("MiB }\n");
    if (slot == SWAP_BLADE) {
      b.append("blade.memory = [{ size = ").append(SWAP_MIB).append("MiB }]\n");
      b.append("console.station.target = \"").append(blade(FIRST_BLADE)).append("\"\n");
    }
    if (slot == CD_BLADE && cdDir != null) {
      b.append("blade.media-dir = ").append(GuestConsole.quote(cdDir.toAbsolutePath().toString())).append('\n');
      b.append("blade.media = [{ name = ").append(GuestCd.NAME).append(", image = \"").append(GuestCd.IMAGE).append("\" }]\n");
    }
    if (slot == FIRST_BLADE || slot == VERIFY_BLADE) b.append("console.command = ").append(console.consoleCommand(slot)).append('\n');
    // Each root copy is the 5th disk (Disk(4)) of its blade, after the demo's four.
    b.append("volumes += { name = ").append(ROOT).append(", layout = raid1, members = [")
        .append(String.join(", ", ROOT_BLADES.stream().map(s -> "\"" + blade(s) + "/Disk(4)\"").toList())).append("] }\n");
    b.append("volumes += { name = ").append(SWAP).append(", layout = span, members = [\"")
        .append(blade(SWAP_BLADE)).append("/Memory(0)\"] }\n");
    return b.toString();
  }

  /** The first boot through the blade whose NBD address is {@code nbd}: writes for {@code ioSeconds}. */
  public QemuGuest first(String nbd, int ioSeconds) {
    return console.guest(FIRST_BLADE, QemuGuest.FIRST, ioSeconds, disks(nbd));
  }

  /** The verify boot through the blade whose NBD address is {@code nbd}. */
  public QemuGuest verify(String nbd) {
    return console.guest(VERIFY_BLADE, QemuGuest.VERIFY, 0, disks(nbd));
  }

  private List<QemuGuest.Disk> disks(String nbd) {
    List<QemuGuest.Disk> d = new ArrayList<>(List.of(QemuGuest.Disk.of("root", nbd, ROOT, false),
        QemuGuest.Disk.of("swap", nbd, SWAP, false)));
    if (cdDir != null) d.add(QemuGuest.Disk.of(GuestCd.NAME, nbd, GuestCd.NAME, true));
    return d;
  }
}
