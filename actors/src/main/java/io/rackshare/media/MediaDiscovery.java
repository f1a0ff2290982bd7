package io.rackshare.media;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.rackshare.blade.DiscoveredResource;
import io.rackshare.blade.ResourceDiscovery;
import io.rackshare.driver.MediaDrive;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.ResourceConfig;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.map.VolumeSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Discovers a blade's removable-media drives (0062), {@code rackshare.blade.media}: each entry
 * {@code { name = "cd0", image = "debian.iso", block-size = 2048 }} becomes {@code .../Media(n)}, a
 * read-only drive that every blade exports as the volume {@code name} while a medium is in it.
 * {@code image} (optional: the drive starts empty) is a file relative to {@code
 * rackshare.blade.media-dir}, or an absolute path such as an optical drive's {@code /dev/sr0};
 * operators insert and eject media later with {@code rackshare media insert|eject}, choosing
 * among the media directory's files.
 */
public final class MediaDiscovery implements ResourceDiscovery {

  @Override
  public List<DiscoveredResource> discover(BladeId blade, Config rackshare) {
    Config bladeConfig = rackshare.getConfig("blade");
    if (!bladeConfig.hasPath("media")) return List.of();
    List<? extends Config> entries = bladeConfig.getConfigList("media");
    if (entries.isEmpty()) return List.of();
    Path dataDir = Path.of(bladeConfig.getString("data-dir"));
    Path mediaDir = dataDir.resolve(bladeConfig.hasPath("media-dir") ? bladeConfig.getString("media-dir") : "media");
    try {
      Files.createDirectories(mediaDir);
    } catch (IOException e) {
      throw new IllegalArgumentException("rackshare.blade.media-dir: cannot make " + mediaDir + ": " + e.getMessage(), e);
    }
    List<DiscoveredResource> out = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      Config m = entries.get(i);
      String where = "rackshare.blade.media[" + i + "]";
      try {
        int blockSize = m.hasPath("block-size") ? io.rackshare.ConfigSizes.intBytes(m, "block-size", "block-size") : 2048;
        String name = m.hasPath("name") ? m.getString("name")
            : "media-" + blade.rack() + "-" + blade.chassis() + "-" + blade.slot() + "-" + i;
        new VolumeSpec(name, "media", List.of(DevicePath.media(blade, i)), Map.of()); // checks the name
        ResourceConfig.Medium.empty(name, blockSize); // checks the block size
        MediaDrive drive = new MediaDrive(blockSize);
        if (m.hasPath("image") && !m.getString("image").isEmpty()) {
          String image = m.getString("image");
          Path file = mediaDir.resolve(image);
          try {
            drive.insert(file, image);
          } catch (IOException e) {
            throw new IllegalArgumentException("cannot open image " + file + ": " + e.getMessage(), e);
          }
        }
        DevicePath path = DevicePath.media(blade, i);
        out.add(new DiscoveredResource(new ResourceDescriptor(path, MediaDriver.describe(drive, name, blockSize)),
            drive, MediaDriver.create(path, drive, name, blockSize, mediaDir)));
      } catch (ConfigException | IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
      }
    }
    return out;
  }
}
