package io.rackshare.access;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.driver.FileBlockStore;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.Extent;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.map.Member;
import io.rackshare.map.Part;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A blade's parts of pooled disks ({@link Parts}): a new part is zeroed before it is reported
 * ready, and never once the map no longer lists it, even if the zeroing waited so long that a
 * later part took its extents.
 */
class PartsTest {
  static final int BS = 4096;
  static final BladeId SELF = new BladeId(1, 1, 1);
  static final DevicePath DISK = DevicePath.disk(SELF, 0);
  static final DevicePath P0 = new DevicePath(SELF, Part.KIND, 0);

  @TempDir Path dir;
  final Queue<Runnable> io = new ArrayDeque<>();
  final AtomicReference<GlobalResourceMap> map = new AtomicReference<>(GlobalResourceMap.EMPTY);
  final List<String> reported = new ArrayList<>();
  final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stop() {
    timer.shutdownNow();
  }

  FileBlockStore disk(byte fill) throws Exception {
    byte[] old = new byte[16 * BS];
    Arrays.fill(old, fill);
    Files.write(dir.resolve("disk"), old);
    return new FileBlockStore(dir.resolve("disk"), 16L * BS);
  }

  /** A one-member volume whose member is {@code part}, at {@code epoch}. */
  static GlobalResourceDescriptor volume(String name, Part part, long epoch) {
    return new GlobalResourceDescriptor(name, "span", BS, part.blocks(), part.blocks(),
        List.of(Member.active(part.path(), epoch)), List.of(), List.of(new Extent(0, part.blocks(), part.path(), 0)),
        Map.of(), epoch, List.of(part), null);
  }

  Parts parts(FileBlockStore disk) {
    return new Parts(SELF, Map.of(DISK, disk), io::add, timer, map::get,
        (volume, part, blocks) -> reported.add(volume + " " + part + " " + blocks));
  }

  void install(Parts parts, GlobalResourceMap m) {
    parts.installing(() -> map.set(m));
    parts.installed(m);
  }

  @Test
  void aNewPartIsZeroedThenReportedReady() throws Exception {
    try (FileBlockStore disk = disk((byte) 0xAB)) {
      Parts parts = parts(disk);
      Part p = new Part(P0, List.of(new Extent(0, 4, DISK, 8)), 0, 5);
      GlobalResourceDescriptor a = volume("a", p, 5);
      install(parts, new GlobalResourceMap(5, Map.of("a", a)));
      String why = parts.notReady(P0, 0, BS, a);
      assertTrue(why != null && why.contains("is being zeroed (0 of 4 blocks ready"), "the target refuses it: " + why);
      assertEquals(1, io.size(), "the zeroing waits on the I/O executor");
      io.poll().run();
      assertEquals(List.of("a " + P0 + " 4"), reported);
      assertArrayEquals(new byte[4 * BS], disk.read(8L * BS, 4 * BS), "its extents read as zeros");
      assertArrayEquals(filled(8 * BS, (byte) 0xAB), disk.read(0, 8 * BS), "nothing before them touched");
      assertArrayEquals(filled(4 * BS, (byte) 0xAB), disk.read(12L * BS, 4 * BS), "nor after");
      // Installed again before the manager's map says ready: reported again, not zeroed again.
      install(parts, new GlobalResourceMap(6, Map.of("a", a.withEpoch(6))));
      assertTrue(io.isEmpty());
      assertEquals(2, reported.size());
    }
  }

  @Test
  void aZeroingThatWaitedPastItsVolumesRemovalTouchesNothing() throws Exception {
    try (FileBlockStore disk = disk((byte) 0xAB)) {
      Parts parts = parts(disk);
      Part old = new Part(P0, List.of(new Extent(0, 4, DISK, 8)), 0, 5);
      install(parts, new GlobalResourceMap(5, Map.of("a", volume("a", old, 5))));
      assertEquals(1, io.size());
      // Before the zeroing runs, 'a' is removed and a rebuilt copy of 'b' takes the same extents,
      // under the same part name, and is written.
      Part later = new Part(P0, List.of(new Extent(0, 4, DISK, 8)), 4, 9);
      install(parts, new GlobalResourceMap(9, Map.of("b", volume("b", later, 9))));
      disk.write(8L * BS, ByteBuffer.wrap(filled(4 * BS, (byte) 0x5c)), false);
      io.poll().run();
      assertArrayEquals(filled(4 * BS, (byte) 0x5c), disk.read(8L * BS, 4 * BS), "b's data is intact");
      assertEquals(List.of(), reported, "a's part is not reported");
    }
  }

  static byte[] filled(int n, byte b) {
    byte[] out = new byte[n];
    Arrays.fill(out, b);
    return out;
  }
}
