package io.rackshare.access;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write-intent log of a blade's stripe coordinator, as md's write-intent bitmap: before a
 * stripe's data and parity are written, the stripe's region is recorded as dirty on stable
 * storage (one fsync when a region first becomes busy); regions idle for a while are forgotten
 * again. Regions found dirty at start-up were being written when the blade stopped, so their data
 * and parity may disagree: the coordinator recomputes their parity before anything relies on it.
 *
 * <p>The file is a line per dirty region ({@code volume<TAB>region}), replaced atomically.
 */
final class IntentLog {

  private static final Logger log = LoggerFactory.getLogger(IntentLog.class);
  static final String FILE = "write-intents";

  private record Key(String volume, long region) implements Comparable<Key> {
    @Override
    public int compareTo(Key o) {
      int c = volume.compareTo(o.volume);
      return c != 0 ? c : Long.compare(region, o.region);
    }
  }

  private final Path file;
  private final long idleNanos;
  private final Set<Key> persisted = new TreeSet<>();
  private final Map<Key, Integer> writers = new HashMap<>();
  private final Map<Key, Long> idleSince = new HashMap<>();
  /** Dirty at start-up, not resynced yet; {@code claimed} ones are being resynced. */
  private final Set<Key> recovered = new TreeSet<>();
  private final Set<Key> claimed = new TreeSet<>();

  /** A log in {@code dir} (null: kept in memory only), swept by {@code timer}. */
  IntentLog(Path dir, ScheduledExecutorService timer, java.time.Duration idle) throws IOException {
    this.file = dir == null ? null : dir.resolve(FILE);
    this.idleNanos = idle.toNanos();
    if (file != null && Files.exists(file)) {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        String[] f = line.split("\t");
        if (f.length != 2) continue;
        try {
          Key k = new Key(f[0], Long.parseLong(f[1]));
          persisted.add(k);
          recovered.add(k);
        } catch (NumberFormatException e) {
          log.warn("ignoring a bad line in {}: {}", file, line);
        }
      }
      if (!recovered.isEmpty()) log.warn("unclean stop: {} stripe region(s) to resync: {}", recovered.size(), recovered);
    }
    long every = Math.max(1, idle.toMillis() / 2);
    timer.scheduleWithFixedDelay(this::sweep, every, every, TimeUnit.MILLISECONDS);
  }

  /** Records that stripes of {@code region} are about to be written; returns once that is durable. */
  synchronized void begin(String volume, long region) throws IOException {
    Key k = new Key(volume, region);
    writers.merge(k, 1, Integer::sum);
    idleSince.remove(k);
    if (persisted.add(k)) persist();
  }

  /** The writes {@link #begin} announced are done. */
  synchronized void end(String volume, long region) {
    Key k = new Key(volume, region);
    Integer n = writers.get(k);
    if (n == null) return;
    if (n <= 1) {
      writers.remove(k);
      idleSince.put(k, System.nanoTime());
    } else {
      writers.put(k, n - 1);
    }
  }

  /** Volumes with regions left dirty by an unclean stop, not yet resynced. */
  synchronized List<String> dirtyVolumes() {
    List<String> out = new ArrayList<>();
    for (Key k : recovered) {
      if (!claimed.contains(k) && !out.contains(k.volume())) out.add(k.volume());
    }
    return out;
  }

  /** The regions of {@code volume} to resync now; each is claimed until {@link #resynced}. */
  synchronized List<Long> claim(String volume) {
    List<Long> out = new ArrayList<>();
    for (Key k : recovered) {
      if (k.volume().equals(volume) && claimed.add(k)) out.add(k.region());
    }
    return out;
  }

  synchronized void resynced(String volume, long region, boolean ok) {
    Key k = new Key(volume, region);
    claimed.remove(k);
    if (ok) {
      recovered.remove(k);
      idleSince.put(k, System.nanoTime());
    }
  }

  /** Regions dirty on stable storage right now (for tests and status). */
  synchronized Set<String> dirty() {
    Set<String> out = new TreeSet<>();
    persisted.forEach(k -> out.add(k.volume() + "/" + k.region()));
    return out;
  }

  /** A clean stop: regions nobody writes any more are forgotten now rather than resynced later. */
  synchronized void close() {
    idleSince.replaceAll((k, t) -> System.nanoTime() - idleNanos);
    sweep();
  }

  private synchronized void sweep() {
    long now = System.nanoTime();
    boolean changed = false;
    for (var it = idleSince.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      if (now - e.getValue() >= idleNanos && !writers.containsKey(e.getKey()) && !recovered.contains(e.getKey())) {
        it.remove();
        changed |= persisted.remove(e.getKey());
      }
    }
    if (changed) {
      try {
        persist();
      } catch (IOException e) {
        log.warn("cannot update {}: {}", file, e.toString());
      }
    }
  }

  private void persist() throws IOException {
    if (file == null) return;
    StringBuilder sb = new StringBuilder();
    for (Key k : persisted) sb.append(k.volume()).append('\t').append(k.region()).append('\n');
    Path tmp = file.resolveSibling(FILE + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(StandardCharsets.UTF_8.encode(sb.toString()));
      ch.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
      dir.force(true);
    } catch (IOException ignored) {
      // not every file system lets a directory be synced; the rename is atomic anyway
    }
  }
}
