package io.rackshare.node;

import io.rackshare.management.BladeStatus;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code rackshare media insert|eject|list}: a blade's removable-media drives, like a BMC's
 * virtual media. A medium is exported read-only by every blade as its drive's volume.
 */
@Command(name = "media", mixinStandardHelpOptions = true,
    description = "Insert or eject the medium of a removable-media drive (exported read-only by every blade), or list"
        + " the drives.",
    subcommands = {Media.Insert.class, Media.Eject.class, Media.ListDrives.class})
final class Media implements Callable<Integer> {

  @Override
  public Integer call() {
    throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "say insert, eject or list");
  }

  /** {@code rackshare media insert}. */
  @Command(name = "insert", mixinStandardHelpOptions = true,
      description = "Insert an image (a file in the drive's blade's media directory, rackshare.blade.media-dir) into"
          + " a drive, replacing its medium; returns once this blade exports it.")
  static final class Insert implements Callable<Integer> {
    @Mixin Endpoint endpoint;

    @Parameters(index = "0", paramLabel = "DRIVE",
        description = "the drive: its device path, e.g. Rack(1)/Chassis(1)/Blade(2)/Media(0), or its volume's name")
    String drive;

    @Parameters(index = "1", paramLabel = "IMAGE", description = "the image, relative to the media directory")
    String image;

    @Override
    public Integer call() throws Exception {
      Map<?, ?> answer = Volume.JSON.readValue(endpoint.post("/media/insert?drive=" + Volume.enc(drive) + "&image="
          + Volume.enc(image), Duration.ofSeconds(60)), Map.class);
      System.out.println(answer.get("image") + " inserted: volume " + answer.get("volume") + ", "
          + Status.size(((Number) answer.get("size")).longValue()) + ", read-only");
      return 0;
    }
  }

  /** {@code rackshare media eject}. */
  @Command(name = "eject", mixinStandardHelpOptions = true,
      description = "Eject a drive's medium: its volume goes, and its NBD clients are disconnected.")
  static final class Eject implements Callable<Integer> {
    @Mixin Endpoint endpoint;

    @Parameters(index = "0", paramLabel = "DRIVE", description = "the drive: its device path or its volume's name")
    String drive;

    @Override
    public Integer call() throws Exception {
      Map<?, ?> answer = Volume.JSON.readValue(endpoint.post("/media/eject?drive=" + Volume.enc(drive),
          Duration.ofSeconds(60)), Map.class);
      System.out.println("ejected: drive of volume " + answer.get("volume") + " is empty");
      return 0;
    }
  }

  /** {@code rackshare media list}. */
  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the removable-media drives and their media.")
  static final class ListDrives implements Callable<Integer> {
    @Mixin Endpoint endpoint;

    @Override
    public Integer call() throws Exception {
      BladeStatus s = Volume.JSON.readValue(endpoint.call("/status", HttpRequest.newBuilder().GET(),
          Duration.ofSeconds(10)), BladeStatus.class);
      int n = 0;
      for (BladeStatus.BladeInfo b : s.bladeDetails() == null ? java.util.List.<BladeStatus.BladeInfo>of() : s.bladeDetails()) {
        for (String r : b.resources()) {
          if (r.contains("/Media(")) {
            System.out.println(r);
            n++;
          }
        }
      }
      if (n == 0) System.out.println("no removable-media drives (rackshare.blade.media)");
      return 0;
    }
  }
}
