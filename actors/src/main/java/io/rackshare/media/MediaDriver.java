package io.rackshare.media;

import io.rackshare.blade.Blade;
import io.rackshare.blade.DiscoveredResource;
import io.rackshare.driver.MediaDrive;
import io.rackshare.map.DevicePath;
import io.rackshare.map.ResourceConfig;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.smm.SmmHandler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The resource driver of one removable-media drive (0062), like a BMC's virtual media: it
 * inserts and ejects media when an operator asks ({@link MediaProtocol.ChangeMedium}, over the
 * OOB channel from whichever blade took the command) and tells its blade, which registers the
 * drive's new descriptor with the manager; the manager then makes, replaces or removes the
 * drive's read-only volume. Requests do not pass through it: the data lane reads the {@link
 * MediaDrive} on I/O threads, as it reads disks.
 *
 * <p>An operator's image is a file in the media directory ({@code rackshare.blade.media-dir}),
 * named relative to it: a name that leads outside it (through {@code ..}, an absolute path or a
 * symbolic link) is refused, so the command cannot export any other file the blade can read.
 */
public final class MediaDriver {
  private MediaDriver() {}

  /** The driver of {@code drive} at {@code path}, exported as volume {@code volume}. */
  public static java.util.function.Function<DiscoveredResource.DriverContext, Behavior<Void>> create(
      DevicePath path, MediaDrive drive, String volume, int blockSize, Path mediaDir) {
    return context -> Behaviors.<SmmHandler.Delivery>setup(ctx -> {
      context.smm().tell(new SmmHandler.RegisterHandler("media-" + path,
          m -> m instanceof MediaProtocol.ChangeMedium c && c.drive().equals(path), ctx.getSelf()));
      return Behaviors.receive(SmmHandler.Delivery.class).onMessage(SmmHandler.Delivery.class, d -> {
        if (d.message() instanceof MediaProtocol.ChangeMedium c) {
          MediaProtocol.MediumAnswer answer;
          try {
            ResourceConfig.Medium now = change(drive, c.image(), volume, blockSize, mediaDir);
            ctx.getLog().info("{}: {}", path, now.inserted() ? "medium " + now.image() + " inserted ("
                + now.sizeBytes() + " bytes)" : "medium ejected");
            context.bladeActor().tell(new Blade.ResourceChanged(new ResourceDescriptor(path, now)));
            answer = new MediaProtocol.MediumAnswer(path, now, null);
          } catch (IllegalArgumentException e) {
            ctx.getLog().warn("{}: {} refused: {}", path, c.image() == null ? "eject" : "insert " + c.image(),
                e.getMessage());
            answer = new MediaProtocol.MediumAnswer(path, null, e.getMessage());
          }
          if (d.responder() != null) d.responder().reply(answer);
        }
        return Behaviors.same();
      }).onSignal(PostStop.class, s -> {
        drive.close();
        return Behaviors.same();
      }).build();
    }).unsafeCast();
  }

  /** The drive's descriptor now. */
  public static ResourceConfig.Medium describe(MediaDrive drive, String volume, int blockSize) {
    MediaDrive.Medium m = drive.medium();
    return m == null ? ResourceConfig.Medium.empty(volume, blockSize)
        : new ResourceConfig.Medium(volume, m.image(), blockSize, m.size() / blockSize, m.incarnation());
  }

  /** Ejects ({@code image} null) or inserts {@code image} from {@code mediaDir}; a refusal is an {@link IllegalArgumentException}. */
  static ResourceConfig.Medium change(MediaDrive drive, String image, String volume, int blockSize, Path mediaDir) {
    if (image == null) {
      drive.eject();
    } else {
      Path file = inside(mediaDir, image);
      try {
        drive.insert(file, image);
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot insert " + image + ": " + e.getMessage(), e);
      }
    }
    return describe(drive, volume, blockSize);
  }

  /** {@code image} in {@code mediaDir}, a readable regular file there, or a clear refusal. */
  static Path inside(Path mediaDir, String image) {
    if (image.isBlank() || image.indexOf('\0') >= 0) throw new IllegalArgumentException("no image named");
    try {
      Path dir = mediaDir.toRealPath();
      Path file = dir.resolve(image).normalize();
      if (!file.startsWith(dir) || !Files.exists(file)) {
        throw new IllegalArgumentException("no image '" + image + "' in the media directory " + mediaDir
            + " (images are named relative to it)");
      }
      Path real = file.toRealPath();
      if (!real.startsWith(dir)) {
        throw new IllegalArgumentException("image '" + image + "' leads outside the media directory " + mediaDir);
      }
      if (!Files.isRegularFile(real) || !Files.isReadable(real)) {
        throw new IllegalArgumentException("image '" + image + "' is not a readable file");
      }
      return real;
    } catch (IOException e) {
      throw new IllegalArgumentException("media directory " + mediaDir + ": " + e.getMessage(), e);
    }
  }
}
