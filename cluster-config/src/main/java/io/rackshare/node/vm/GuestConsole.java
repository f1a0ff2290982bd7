package io.rackshare.node.vm;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The guest as blades' consoles: a directory holding the initramfs ({@link GuestImage}) and a
 * console command ({@code boot.sh}) that blades run as {@code rackshare.console.command}. A
 * blade's console waits for a boot request ({@link #request}: a file named after the blade,
 * holding the qemu command line of a {@link QemuGuest}) and runs qemu in its terminal, so the
 * guest's serial console is that blade's console, which the console station shows.
 */
public record GuestConsole(GuestHost host, Path dir) {

  /** The guest's memory in MiB. */
  public static final int MEMORY_MIB = 96;

  /** Builds the initramfs and writes the console command into {@code dir}. */
  public static GuestConsole prepare(GuestHost host, Path dir) throws IOException {
    Files.createDirectories(dir);
    GuestImage.build(host, dir.resolve("initrd.gz"));
    try (InputStream in = GuestConsole.class.getResourceAsStream("boot.sh")) {
      if (in == null) throw new IOException("boot.sh is missing from the class path");
      Files.write(dir.resolve("boot.sh"), in.readAllBytes());
    }
    return new GuestConsole(host, dir.toAbsolutePath());
  }

  public Path initrd() {
    return dir.resolve("initrd.gz");
  }

  /** Where blade {@code slot}'s console looks for boot requests. */
  public Path requestFile(int slot) {
    return dir.resolve("boot-request-blade" + slot);
  }

  /** The guest's serial output as qemu logs it for blade {@code slot} (a copy, for whoever reads a failed run). */
  public Path serialLog(int slot) {
    return dir.resolve("serial-blade" + slot + ".log");
  }

  /** {@code rackshare.console.command} for blade {@code slot}, as HOCON (a list of strings). */
  public String consoleCommand(int slot) {
    return "[\"sh\", " + quote(dir.resolve("boot.sh").toString()) + ", " + quote(requestFile(slot).toString()) + "]";
  }

  /**
   * {@code mode} through blade {@code slot}'s console, the disks at {@code disks}, with {@value
   * #MEMORY_MIB} MiB of memory (small, so that the first boot's swap test is quick; 64 MiB did not boot).
   */
  public QemuGuest guest(int slot, String mode, int ioSeconds, List<QemuGuest.Disk> disks) {
    return new QemuGuest(host, initrd(), mode, ioSeconds, MEMORY_MIB, disks, dir.resolve("qemu-blade" + slot + ".pid"),
        serialLog(slot));
  }

  /** Asks blade {@code slot}'s console to boot {@code guest} (the request appears at once, whole). */
  public void request(int slot, QemuGuest guest) throws IOException {
    String script = "exec " + guest.command().stream().map(GuestConsole::shellQuote).collect(Collectors.joining(" ")) + "\n";
    Path tmp = dir.resolve(requestFile(slot).getFileName() + ".tmp");
    Files.writeString(tmp, script, StandardCharsets.UTF_8);
    Files.move(tmp, requestFile(slot), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** The qemu process last started through blade {@code slot}'s console, if it still runs. */
  public java.util.Optional<ProcessHandle> qemu(int slot) {
    try {
      long pid = Long.parseLong(Files.readString(dir.resolve("qemu-blade" + slot + ".pid")).trim());
      return ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
    } catch (IOException | NumberFormatException e) {
      return java.util.Optional.empty();
    }
  }

  static String shellQuote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
