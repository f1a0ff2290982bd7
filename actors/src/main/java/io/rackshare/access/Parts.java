package io.rackshare.access;

import io.rackshare.driver.BlockStore;
import io.rackshare.driver.PartStore;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.Extent;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.map.Part;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This blade's devices as requests name them: its disks, and the parts of its pooled disks that
 * the map gives volumes ({@link Part}, served as a {@link PartStore} over the disk). And the
 * preparation of new parts: a part the map lists as not ready is zeroed from its ready blocks to
 * its end, made durable, and reported ready to the manager ({@code ready}); until the manager's
 * map says so, the target refuses to serve it ({@link #notReady}), so no volume ever reads what
 * an earlier volume left in an extent.
 *
 * <p>Threads: {@link #store} and {@link #notReady} on any thread (lane readers, I/O threads);
 * {@link #installed} on the access driver's; zeroing on the I/O executor.
 */
final class Parts {
  private static final Logger log = LoggerFactory.getLogger(Parts.class);
  /** How often reports of parts still not ready in the map are sent again (one may be lost in a failover). */
  private static final long REPORT_AGAIN_SECONDS = 2;

  /** A part's store, for the extents it was made for. */
  private record Made(List<Extent> extents, PartStore store) {}

  private final BladeId self;
  private final Map<DevicePath, BlockStore> disks;
  private final Map<DevicePath, Made> made = new ConcurrentHashMap<>();
  /**
   * A part as this process zeroed it and made it durable: its allocation ({@code since}; a part
   * of a later volume under the same path is zeroed again), its extents, its blocks.
   */
  private record Zeroed(long since, List<Extent> extents, long blocks) {}

  private final Map<DevicePath, Zeroed> zeroed = new ConcurrentHashMap<>();
  private final Map<DevicePath, Boolean> zeroing = new ConcurrentHashMap<>();
  private final Executor io;
  private final ScheduledExecutorService timer;
  private final Supplier<GlobalResourceMap> map;
  private final ReadyReport ready;
  private volatile boolean again;

  /** Tells the manager that {@code part} of {@code volume} is zeroed up to {@code blocks}. */
  interface ReadyReport {
    void ready(String volume, DevicePath part, long blocks);
  }

  Parts(BladeId self, Map<DevicePath, BlockStore> disks, Executor io, ScheduledExecutorService timer,
      Supplier<GlobalResourceMap> map, ReadyReport ready) {
    this.self = self;
    this.disks = Map.copyOf(disks);
    this.io = io;
    this.timer = timer;
    this.map = map;
    this.ready = ready;
  }

  /** {@code disks} and their parts, with nobody to zero new parts (for tests of the target alone). */
  static Parts of(BladeId self, Map<DevicePath, BlockStore> disks) {
    return new Parts(self, disks, Runnable::run, null, () -> GlobalResourceMap.EMPTY, (v, p, b) -> { });
  }

  /**
   * The store behind {@code device} in volume {@code v} (may be null for a disk), or null if it is
   * neither a disk of this blade nor a part of {@code v} on one.
   */
  BlockStore store(DevicePath device, GlobalResourceDescriptor v) {
    if (!Part.isPart(device)) return disks.get(device);
    if (v == null || !device.blade().equals(self)) return null;
    Part p = v.part(device).orElse(null);
    if (p == null) return null;
    BlockStore disk = disks.get(p.disk());
    if (disk == null) return null;
    Made m = made.get(device);
    if (m != null && m.extents().equals(p.extents())) return m.store();
    try {
      PartStore s = new PartStore(disk, p, v.blockSize());
      made.put(device, new Made(p.extents(), s));
      return s;
    } catch (IllegalArgumentException e) {
      log.warn("{}: {}", self, e.getMessage());
      return null;
    }
  }

  /**
   * Null if bytes {@code [offset, offset + length)} of {@code device} may be served in {@code v},
   * else why not: they lie in a part that its blade has not zeroed yet.
   */
  String notReady(DevicePath device, long offset, long length, GlobalResourceDescriptor v) {
    if (!Part.isPart(device)) return null;
    Part p = v.part(device).orElse(null);
    if (p == null) return null;
    long readyBytes = p.readyBlocks() * v.blockSize();
    if (offset + length <= readyBytes) return null;
    return device + " of '" + v.name() + "' is being zeroed (" + p.readyBlocks() + " of " + p.blocks()
        + " blocks ready at epoch " + v.epoch() + ")";
  }

  /**
   * The blade routes with {@code m} now: zero its parts that the map lists as not ready, and
   * report those done (again, until the map says they are ready).
   */
  void installed(GlobalResourceMap m) {
    boolean pending = false;
    for (GlobalResourceDescriptor v : m.volumes().values()) {
      for (Part p : v.parts()) {
        if (!p.path().blade().equals(self) || p.ready()) continue;
        pending = true;
        Zeroed z = zeroed.get(p.path());
        if (z != null && z.since() == p.since() && z.extents().equals(p.extents()) && z.blocks() >= p.blocks()) {
          ready.ready(v.name(), p.path(), p.blocks());
        } else if (zeroing.putIfAbsent(p.path(), Boolean.TRUE) == null) {
          zero(v, p);
        }
      }
    }
    if (pending && !again) {
      again = true;
      try {
        timer.schedule(() -> {
          again = false;
          installed(map.get());
        }, REPORT_AGAIN_SECONDS, TimeUnit.SECONDS);
      } catch (RejectedExecutionException e) {
        again = false; // the blade is stopping
      }
    }
  }

  /**
   * Installs a map ({@code install} sets it) while no zeroing is between its check and its write:
   * a part's extents are zeroed only while the map this blade serves with still lists that part.
   * Without this, a zeroing that waited on the I/O executor could run after its volume was
   * removed and a later part (a rebuilt copy) took the same extents.
   */
  void installing(Runnable install) {
    synchronized (installLock) {
      install.run();
    }
  }

  private final Object installLock = new Object();
  /** Zeroed a piece at a time, so that a map waits for at most one piece ({@link #installing}). */
  private static final long PIECE = 64L << 20;

  /** Whether the map this blade serves with lists part {@code p} as it was allocated (its extents may have grown since). */
  private boolean stillListed(Part p) {
    for (GlobalResourceDescriptor v : map.get().volumes().values()) {
      Part now = v.part(p.path()).orElse(null);
      if (now != null) {
        return now.since() == p.since() && now.extents().size() >= p.extents().size()
            && now.extents().subList(0, p.extents().size()).equals(p.extents());
      }
    }
    return false;
  }

  private void zero(GlobalResourceDescriptor v, Part p) {
    Runnable work = () -> {
      try {
        BlockStore s = store(p.path(), v);
        if (s == null) throw new IOException("no store for " + p.path() + " (is " + p.disk() + " a disk of " + self + "?)");
        for (long from = p.readyBlocks() * (long) v.blockSize(); from < s.size(); from += PIECE) {
          synchronized (installLock) {
            if (!stillListed(p)) {
              log.info("{}: {} of '{}' is no longer in the map: not zeroed", self, p.path(), v.name());
              return;
            }
            s.writeZeroes(from, Math.min(PIECE, s.size() - from), false);
          }
        }
        s.flush();
        zeroed.put(p.path(), new Zeroed(p.since(), p.extents(), p.blocks()));
        log.info("{}: {} of '{}' zeroed ({} blocks); reporting it ready", self, p.path(), v.name(), p.blocks());
        ready.ready(v.name(), p.path(), p.blocks());
      } catch (IOException | RuntimeException e) {
        log.warn("{}: cannot zero {} of '{}': {}", self, p.path(), v.name(), e.toString());
      } finally {
        zeroing.remove(p.path());
      }
    };
    try {
      io.execute(work);
    } catch (RejectedExecutionException e) {
      zeroing.remove(p.path());
    }
  }
}
