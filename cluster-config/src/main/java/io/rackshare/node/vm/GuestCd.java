package io.rackshare.node.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The guest's CD: an ISO 9660 image (made by Debian's {@code xorriso} or {@code genisoimage},
 * whichever is on the {@code PATH}) holding a file of random data and its {@code SUMS}
 * ({@code sha256sum} format), which the guest's {@code /init} checks when it has a CD. Shared as
 * removable media ({@code rackshare.blade.media}), it is the read-only global volume {@link #NAME}.
 */
public final class GuestCd {
  private GuestCd() {}

  /** The media's name, and so its volume's and NBD export's. */
  public static final String NAME = "cd0";
  /** The image's file name in the media directory. */
  public static final String IMAGE = "guest-cd.iso";

  /** Makes {@code dir/IMAGE} (and {@code dir/cd-content}); fails saying which tool to install. */
  public static Path make(Path dir) throws IOException, InterruptedException, GuestHost.Missing {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    Path content = dir.resolve("cd-content");
    Files.createDirectories(content);
    byte[] data = new byte[1 << 20];
    new SecureRandom().nextBytes(data);
    Files.write(content.resolve("data.bin"), data);
    String sum;
    try {
      sum = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    Files.writeString(content.resolve("SUMS"), sum + "  data.bin\n");
    Path iso = dir.resolve(IMAGE);
    List<String> command;
    if (GuestHost.onPath("xorriso", path).isPresent()) {
      command = List.of("xorriso", "-as", "mkisofs", "-quiet", "-V", "RACKSHARE", "-o", iso.toString(), content.toString());
    } else if (GuestHost.onPath("genisoimage", path).isPresent()) {
      command = List.of("genisoimage", "-quiet", "-V", "RACKSHARE", "-o", iso.toString(), content.toString());
    } else {
      throw new GuestHost.Missing("no xorriso or genisoimage on the PATH for the guest's CD (Debian: apt-get install xorriso)");
    }
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException(command + " failed: " + out);
    return iso;
  }
}
