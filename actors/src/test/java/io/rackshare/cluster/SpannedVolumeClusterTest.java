package io.rackshare.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.access.AccessDriver;
import io.rackshare.access.BlockDevice;
import io.rackshare.access.BlockDeviceException;
import io.rackshare.access.IoError;
import io.rackshare.blade.Blade;
import io.rackshare.manager.ManagerProtocol;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.Extent;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.smm.SmmHandler;
import io.rackshare.testkit.TestBlades;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three blades (ActorSystems of one JVM in a real Pekko cluster) each share one 1 MiB disk file;
 * the manager spans them into volume {@code v0}. A fourth blade with no disk joins late.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SpannedVolumeClusterTest {

  static final int DISK = 1 << 20;
  static final String VOLUMES = """
      rackshare.volumes = [{
        name = v0
        layout = span
        members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(0)", "Rack(1)/Chassis(1)/Blade(2)/Disk(0)",
                   "Rack(1)/Chassis(1)/Blade(3)/Disk(0)"]
      }]
      rackshare.oob.request-timeout = 5s
      """;
  static final String ONE_DISK = "[{ file = \"disk0.img\", size = 1MiB, block-size = 4096 }]";

  @TempDir static Path root;
  static TestBlades blades;

  @BeforeAll
  static void startCluster() {
    blades = new TestBlades(root, VOLUMES);
    for (int slot = 1; slot <= 3; slot++) blades.start(slot, ONE_DISK);
  }

  @AfterAll
  static void stopCluster() {
    blades.close();
  }

  static BlockDevice volume(int slot) {
    return await(blades.rackshare(slot).awaitVolume("v0", Duration.ofSeconds(20)));
  }

  static <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static Throwable failure(CompletionStage<?> stage) {
    try {
      stage.toCompletableFuture().join();
      throw new AssertionError("expected a failure");
    } catch (CompletionException e) {
      return e.getCause();
    }
  }

  static byte[] readFile(int slot, long offset, int length) throws Exception {
    try (RandomAccessFile f = new RandomAccessFile(blades.dataDir(slot).resolve("disk0.img").toFile(), "r")) {
      byte[] out = new byte[length];
      f.seek(offset);
      f.readFully(out);
      return out;
    }
  }

  static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  static String digestOf(int slot) {
    return blades.status(slot).map().digest();
  }

  @Test
  @Order(1)
  void everyBladeEndsWithTheSameMap() {
    for (int slot = 1; slot <= 3; slot++) volume(slot);
    TestProbe<Object> probe = blades.kit(1).createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(10), () -> {
      String d1 = digestOf(1);
      assertEquals(d1, digestOf(2));
      assertEquals(d1, digestOf(3));
      return null;
    });
    GlobalResourceDescriptor v = blades.status(2).map().volume("v0").orElseThrow();
    assertEquals("span", v.layout());
    assertEquals(3L * DISK / 4096, v.capacityBlocks());
    assertEquals(List.of(1, 2, 3), v.extents().stream().map(e -> e.device().blade().slot()).toList());
    for (int slot = 1; slot <= 3; slot++) {
      Blade.Status s = blades.status(slot);
      assertEquals(Optional.of(new BladeId(1, 1, 1)), s.manager(), "blade " + slot + " sees the manager");
      assertEquals(List.of(DevicePath.disk(new BladeId(1, 1, slot), 0)),
          s.resources().stream().map(r -> r.path()).toList());
    }
    assertEquals(3L * DISK, volume(3).size());
  }

  @Test
  @Order(2)
  void aWriteThroughBlade1LandsInBlade3sDiskAndBlade2ReadsItBack() throws Exception {
    long offset = 2L * DISK + 12345; // inside blade 3's extent, unaligned
    byte[] data = random(70_000, 1);
    await(volume(1).write(offset, data, true));
    assertArrayEquals(data, readFile(3, 12345, data.length));
    assertArrayEquals(data, await(volume(2).read(offset, data.length)));
  }

  @Test
  @Order(3)
  void aRequestCrossingExtentBoundariesIsSplitRight() throws Exception {
    // 300 KiB starting 100 KiB before the end of blade 1's disk: blade 1, then blade 2.
    long offset = DISK - 100 * 1024 + 7;
    byte[] data = random(300 * 1024, 2);
    await(volume(3).write(offset, data));
    await(volume(3).flush());
    int first = 100 * 1024 - 7;
    assertArrayEquals(java.util.Arrays.copyOfRange(data, 0, first), readFile(1, offset, first));
    assertArrayEquals(java.util.Arrays.copyOfRange(data, first, data.length), readFile(2, 0, data.length - first));
    assertArrayEquals(data, await(volume(1).read(offset, data.length)));
    // The whole volume in one read, across all three extents (larger than an OOB segment).
    byte[] all = await(volume(2).read(0, 3 * DISK));
    assertArrayEquals(data, java.util.Arrays.copyOfRange(all, (int) offset, (int) offset + data.length));
  }

  @Test
  @Order(4)
  void zeroLengthAndOutOfRangeRequests() {
    BlockDevice v = volume(2);
    assertEquals(0, await(v.read(3L * DISK, 0)).length);
    await(v.write(17, new byte[0]));
    BlockDeviceException past = assertInstanceOf(BlockDeviceException.class, failure(v.read(3L * DISK - 10, 11)));
    assertEquals(IoError.OUT_OF_RANGE, past.error());
    assertTrue(past.getMessage().contains("past the end of 'v0'"), past.getMessage());
    assertEquals(IoError.OUT_OF_RANGE,
        ((BlockDeviceException) failure(v.write(3L * DISK, new byte[1]))).error());
    assertEquals(IoError.INVALID, ((BlockDeviceException) failure(v.read(-1, 5))).error());
    assertEquals(IoError.INVALID, ((BlockDeviceException) failure(v.read(0, -5))).error());
    // A volume nobody declared: no device for it.
    assertTrue(blades.rackshare(2).volume("nope").isEmpty());
  }

  @Test
  @Order(5)
  void aBladeWithAStaleMapIsCorrectedThroughVerifyAndResync() throws Exception {
    GlobalResourceMap current = blades.status(1).map();
    GlobalResourceDescriptor v = current.volume("v0").orElseThrow();
    // An old map in which blade 2's and blade 3's extents are swapped, at an older epoch.
    List<Extent> swapped = new ArrayList<>(v.extents());
    Extent e2 = swapped.get(1);
    Extent e3 = swapped.get(2);
    swapped.set(1, new Extent(e2.volumeBlock(), e2.blockCount(), e3.device(), e3.deviceBlock()));
    swapped.set(2, new Extent(e3.volumeBlock(), e3.blockCount(), e2.device(), e2.deviceBlock()));
    GlobalResourceDescriptor stale = new GlobalResourceDescriptor(v.name(), v.layout(), v.blockSize(),
        v.capacityBlocks(), v.memberBlocks(), v.members(), v.spares(), swapped, v.options(), v.epoch() - 1);
    GlobalResourceMap staleMap = new GlobalResourceMap(current.epoch() - 1, java.util.Map.of("v0", stale));
    // Blade 1's access path routes with it, as if it had missed the update to the current map.
    // (The blade itself refuses a map older than its own: epochs only grow.)
    blades.rackshare(1).smmHandler().tell(new SmmHandler.Send(new BladeId(1, 1, 1),
        new ManagerProtocol.MapUpdate(staleMap)));
    blades.rackshare(1).accessDriver().tell(new AccessDriver.MapInstalled(staleMap));
    TestProbe<Object> probe = blades.kit(1).createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(staleMap.digest(), blades.rackshare(1).localMap().digest());
      return null;
    });
    assertEquals(current.digest(), digestOf(1), "the blade kept its newer map");

    // Blade 1 routes this write (in blade 3's extent) to blade 2 on its stale map.
    long offset = 2L * DISK + 4096 * 10;
    byte[] data = random(8192, 3);
    byte[] blade2Before = readFile(2, 4096 * 10, data.length);
    await(volume(1).write(offset, data, true));
    assertArrayEquals(data, readFile(3, 4096 * 10, data.length), "the data is where the current map says");
    assertArrayEquals(blade2Before, readFile(2, 4096 * 10, data.length), "the wrong target wrote nothing");
    assertEquals(current.digest(), blades.rackshare(1).localMap().digest(), "blade 1's map was resynchronised");
  }

  @Test
  @Order(6)
  void aBladeThatJoinsLateReceivesTheMapAndReadsTheVolume() throws Exception {
    byte[] data = random(4096, 4);
    await(volume(2).write(1000, data, true));
    blades.start(4, "[]");
    BlockDevice v4 = volume(4);
    assertEquals(digestOf(1), digestOf(4));
    assertArrayEquals(data, await(v4.read(1000, data.length)));
    assertTrue(Files.exists(blades.dataDir(1).resolve("disk0.img")));
  }
}
