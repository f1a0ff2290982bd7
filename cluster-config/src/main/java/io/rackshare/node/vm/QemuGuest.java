package io.rackshare.node.vm;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One boot of the guest: the {@code qemu-system-x86_64} command line. The host's accelerator
 * ({@link GuestHost#accel()}: KVM where the CPU can, else TCG); the serial console on the
 * terminal qemu runs in (with qemu's monitor behind Ctrl-A c), no other devices; the kernel and
 * its initramfs ({@link GuestImage}) given directly (Ctrl-C goes to the guest); each disk a virtio disk whose serial number
 * names it for the guest's {@code /init}, reached with qemu's own NBD client.
 *
 * @param mode {@code first} or {@code verify} (see {@code init.sh})
 * @param ioSeconds how long the first boot keeps writing and reading
 * @param disks the guest's disks, e.g. root, swap, cd0
 * @param serialLog where qemu also writes what the serial console shows
 */
public record QemuGuest(GuestHost host, Path initrd, String mode, int ioSeconds, int memoryMib, List<Disk> disks,
    Path pidFile, Path serialLog) {

  /** The first boot makes the filesystem; a verify boot checks it. */
  public static final String FIRST = "first";
  public static final String VERIFY = "verify";

  public QemuGuest {
    if (!mode.equals(FIRST) && !mode.equals(VERIFY)) throw new IllegalArgumentException("mode first or verify, not " + mode);
    disks = List.copyOf(disks);
  }

  /**
   * A disk: the NBD export {@code export} of the blade whose NBD address is {@code nbd} (e.g.
   * {@code nbd://127.0.0.1:10809/}), its virtio serial number {@code serial}.
   */
  public record Disk(String serial, URI nbd, String export, boolean readOnly) {
    public Disk {
      if (!"nbd".equals(nbd.getScheme()) || nbd.getHost() == null || nbd.getPort() < 0) {
        throw new IllegalArgumentException("an NBD address nbd://HOST:PORT/, not " + nbd);
      }
      if (!serial.matches("[a-z0-9]{1,20}")) throw new IllegalArgumentException("a short serial number, not " + serial);
    }

    /** {@code export} of the blade at {@code nbd}, a URI such as {@code nbd://127.0.0.1:10809/} ({@code READY}'s nbd=). */
    public static Disk of(String serial, String nbd, String export, boolean readOnly) {
      return new Disk(serial, URI.create(nbd), export, readOnly);
    }
  }

  /** Whether the guest gets a CD (the disk with serial {@code cd0}): its {@code /init} then checks it. */
  public boolean hasCd() {
    return disks.stream().anyMatch(d -> d.serial().equals("cd0"));
  }

  /** The kernel's command line. */
  public String append() {
    return "console=ttyS0 quiet panic=-1 rackshare.vm=" + mode + " rackshare.io=" + ioSeconds
        + " rackshare.cd=" + (hasCd() ? 1 : 0);
  }

  /** The command line. */
  public List<String> command() {
    List<String> c = new ArrayList<>(List.of(host.qemu().toString(),
        "-accel", host.accel(), "-m", String.valueOf(memoryMib), "-smp", "1",
        "-nodefaults", "-display", "none", "-no-reboot",
        "-chardev", "stdio,id=console,mux=on,signal=off,logfile=" + serialLog.toString().replace(",", ",,"), "-serial", "chardev:console",
        "-mon", "chardev=console,mode=readline",
        "-kernel", host.kernel().toString(), "-initrd", initrd.toString(), "-append", append(),
        "-pidfile", pidFile.toString()));
    for (Disk d : disks) {
      c.add("-blockdev");
      c.add("driver=nbd,node-name=" + d.serial() + ",server.type=inet,server.host=" + d.nbd().getHost()
          + ",server.port=" + d.nbd().getPort() + ",export=" + d.export() + (d.readOnly() ? ",read-only=on" : ""));
      c.add("-device");
      c.add("virtio-blk-pci,drive=" + d.serial() + ",serial=" + d.serial());
    }
    return c;
  }
}
