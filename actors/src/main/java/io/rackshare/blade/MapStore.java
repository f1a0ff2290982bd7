package io.rackshare.blade;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rackshare.map.GlobalResourceMap;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The blade's own copy of the last global resource map it stored, in a small file of its data
 * directory that no volume ever exports: the seed's firmware variables (0087, 0093). After a
 * restart, even of the whole cluster, the blade routes with it at once, and a manager that starts
 * without state learns the members' states from it (a member that was stale stays stale).
 *
 * <p>JSON (Jackson over the map's records): readable by an operator, and a later version of the
 * records still reads an older file (unknown fields are ignored, missing ones take defaults).
 */
public final class MapStore {

  private static final Logger log = LoggerFactory.getLogger(MapStore.class);
  public static final String FILE = "global-map.json";
  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private final Path file;

  public MapStore(Path dataDir) {
    this.file = dataDir.resolve(FILE);
  }

  /** The map stored last, if any and readable (an unreadable file is logged and ignored). */
  public Optional<GlobalResourceMap> load() {
    if (!Files.exists(file)) return Optional.empty();
    try {
      return Optional.of(JSON.readValue(file.toFile(), GlobalResourceMap.class));
    } catch (IOException | RuntimeException e) {
      log.warn("ignoring the stored map {}: {}", file, e.toString());
      return Optional.empty();
    }
  }

  /** Replaces the stored map atomically (written, synced, renamed). */
  public void save(GlobalResourceMap map) {
    Path tmp = file.resolveSibling(FILE + ".tmp");
    try {
      Files.createDirectories(file.getParent());
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        ch.write(java.nio.ByteBuffer.wrap(JSON.writeValueAsBytes(map)));
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      log.warn("cannot store the map in {}: {}", file, e.toString());
    }
  }
}
