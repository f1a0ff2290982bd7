package io.rackshare.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.rackshare.access.BlockDevice;
import io.rackshare.access.BlockDeviceException;
import io.rackshare.access.IoError;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.Member;
import io.rackshare.testkit.TestBlades;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
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
 * Four blades (ActorSystems of one JVM in a real Pekko cluster) with two 1 MiB disks each: a
 * RAID-1 pair on blades 1 and 2 with a hot spare on blade 3, and a RAID-5 over blades 1-3 with a
 * hot spare on blade 4. Blades leave and come back; the disk files show where the bytes are.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedundantVolumesClusterTest {

  static final int MIB = 1 << 20;
  static final int CHUNK = 16 * 1024;
  static final String VOLUMES = """
      rackshare.volumes = [
        { name = r1, layout = raid1, members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(0)",
            "Rack(1)/Chassis(1)/Blade(2)/Disk(0)"], spares = ["Rack(1)/Chassis(1)/Blade(3)/Disk(0)"] }
        { name = r5, layout = raid5, stripe-size = 16KiB, members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(1)",
            "Rack(1)/Chassis(1)/Blade(2)/Disk(1)", "Rack(1)/Chassis(1)/Blade(3)/Disk(1)"],
          spares = ["Rack(1)/Chassis(1)/Blade(4)/Disk(0)"] }
      ]
      rackshare.oob.request-timeout = 5s
      """;
  static final String TWO_DISKS = """
      [{ file = "disk0.img", size = 1MiB, block-size = 4096 }, { file = "disk1.img", size = 1MiB, block-size = 4096 }]
      """;

  @TempDir static Path root;
  static TestBlades blades;
  static byte[] r1Data;
  static byte[] r5Data;

  @BeforeAll
  static void startCluster() {
    blades = new TestBlades(root, VOLUMES);
    for (int slot = 1; slot <= 4; slot++) blades.start(slot, TWO_DISKS);
  }

  @AfterAll
  static void stopCluster() {
    blades.close();
  }

  static BlockDevice volume(int slot, String name) {
    return await(blades.rackshare(slot).awaitVolume(name, Duration.ofSeconds(20)));
  }

  static <T> T await(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  static byte[] disk(int slot, int index, long offset, int length) throws Exception {
    try (RandomAccessFile f = new RandomAccessFile(
        blades.dataDir(slot).resolve("disk" + index + ".img").toFile(), "r")) {
      byte[] b = new byte[length];
      f.seek(offset);
      f.readFully(b);
      return b;
    }
  }

  static DevicePath dev(int slot, int index) {
    return DevicePath.disk(new BladeId(1, 1, slot), index);
  }

  /** Waits until blade {@code slot}'s map shows {@code name}'s members as {@code expected}. */
  static void awaitMembers(int slot, String name, List<Member.State> states, List<DevicePath> devices) {
    TestProbe<Object> probe = blades.kit(slot).createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
      GlobalResourceDescriptor v = blades.status(slot).map().volume(name).orElseThrow();
      assertEquals(devices, v.devices());
      assertEquals(states, v.members().stream().map(Member::state).toList());
      return null;
    });
  }

  /** In RAID-5 stripe {@code s} of 3 members, parity sits on member {@code 2 - s % 3}. */
  static void assertParityIsConsistent(List<int[]> members) throws Exception {
    for (int s = 0; s < MIB / CHUNK; s++) {
      byte[] x = new byte[CHUNK];
      for (int[] m : members) {
        byte[] c = disk(m[0], m[1], (long) s * CHUNK, CHUNK);
        for (int i = 0; i < CHUNK; i++) x[i] ^= c[i];
      }
      for (byte b : x) {
        if (b != 0) fail("stripe " + s + ": the members' chunks do not XOR to zero");
      }
    }
  }

  @Test
  @Order(1)
  void dataLandsOnBothCopiesAndInTheRightStripesWithParity() throws Exception {
    BlockDevice r1 = volume(4, "r1");
    BlockDevice r5 = volume(4, "r5");
    assertEquals(MIB, r1.size());
    assertEquals(2L * MIB, r5.size());
    r1Data = random(MIB, 1);
    r5Data = random(2 * MIB, 2);
    await(r1.write(0, r1Data, true));
    // RAID-5 in pieces that are not stripe aligned: read-modify-write and reconstruct-write both.
    for (int at = 0; at < r5Data.length; ) {
      int n = Math.min(r5Data.length - at, 5000 + at % 70000);
      await(r5.write(at, java.nio.ByteBuffer.wrap(r5Data, at, n), false));
      at += n;
    }
    await(r5.flush());
    assertArrayEquals(r1Data, disk(1, 0, 0, MIB), "copy on blade 1");
    assertArrayEquals(r1Data, disk(2, 0, 0, MIB), "copy on blade 2");
    // Stripe 1 (parity on member 1): data chunk 0 on member 2 (blade 3), chunk 1 on member 0.
    assertArrayEquals(java.util.Arrays.copyOfRange(r5Data, 2 * CHUNK, 3 * CHUNK), disk(3, 1, CHUNK, CHUNK));
    assertArrayEquals(java.util.Arrays.copyOfRange(r5Data, 3 * CHUNK, 4 * CHUNK), disk(1, 1, CHUNK, CHUNK));
    assertParityIsConsistent(List.of(new int[] {1, 1}, new int[] {2, 1}, new int[] {3, 1}));
    assertArrayEquals(r5Data, await(volume(3, "r5").read(0, r5Data.length)));
  }

  @Test
  @Order(2)
  void aBladeLeavesTheVolumesServeDegradedAndTheSparesAreRebuilt() throws Exception {
    blades.stop(2);
    // Reads right away: RAID-1 from the other copy, RAID-5 reconstructed from parity.
    assertArrayEquals(r1Data, await(volume(4, "r1").read(0, MIB)));
    assertArrayEquals(r5Data, await(volume(4, "r5").read(0, 2 * MIB)));
    // Writes go on during the rebuild and are not lost.
    byte[] more = random(300_000, 3);
    await(volume(4, "r5").write(100_000, more, false));
    System.arraycopy(more, 0, r5Data, 100_000, more.length);
    await(volume(3, "r1").write(500_000, more, false));
    System.arraycopy(more, 0, r1Data, 500_000, more.length);

    awaitMembers(1, "r1", List.of(Member.State.ACTIVE, Member.State.ACTIVE), List.of(dev(1, 0), dev(3, 0)));
    awaitMembers(1, "r5", List.of(Member.State.ACTIVE, Member.State.ACTIVE, Member.State.ACTIVE),
        List.of(dev(1, 1), dev(4, 0), dev(3, 1)));
    GlobalResourceDescriptor r5 = blades.status(4).map().volume("r5").orElseThrow();
    assertTrue(r5.spares().isEmpty(), "the spare is a member now");
    assertArrayEquals(r1Data, disk(3, 0, 0, MIB), "the spare holds the mirror's bytes");
    assertArrayEquals(disk(1, 0, 0, MIB), disk(3, 0, 0, MIB));
    assertParityIsConsistent(List.of(new int[] {1, 1}, new int[] {4, 0}, new int[] {3, 1}));
    assertArrayEquals(r5Data, await(volume(1, "r5").read(0, 2 * MIB)));
    assertArrayEquals(r1Data, await(volume(1, "r1").read(0, MIB)));
  }

  @Test
  @Order(3)
  void losingMoreThanTheRedundancyFailsClearlyAndTheReturningMemberResumesIt() throws Exception {
    // RAID-5 is on blades 1, 4 and 3 now: with 3 and 4 gone it has lost two members.
    blades.stop(3);
    awaitMembers(1, "r5", List.of(Member.State.ACTIVE, Member.State.ACTIVE, Member.State.FAILED),
        List.of(dev(1, 1), dev(4, 0), dev(3, 1)));
    blades.stop(4);
    awaitMembers(1, "r5", List.of(Member.State.ACTIVE, Member.State.OFFLINE, Member.State.FAILED),
        List.of(dev(1, 1), dev(4, 0), dev(3, 1)));
    BlockDevice r5 = volume(1, "r5");
    ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> r5.read(0, 4096).toCompletableFuture().get(30, TimeUnit.SECONDS));
    BlockDeviceException b = assertInstanceOf(BlockDeviceException.class, e.getCause());
    assertEquals(IoError.VOLUME_FAILED, b.error());
    assertTrue(b.getMessage().contains("r5") && b.getMessage().contains("lost 2 members"), b.getMessage());
    // The mirror still has its copy on blade 1.
    assertArrayEquals(r1Data, await(volume(1, "r1").read(0, MIB)));

    // Blade 4 returns with its disk intact: the volume serves again, degraded.
    blades.start(4, TWO_DISKS);
    awaitMembers(1, "r5", List.of(Member.State.ACTIVE, Member.State.ACTIVE, Member.State.FAILED),
        List.of(dev(1, 1), dev(4, 0), dev(3, 1)));
    assertArrayEquals(r5Data, await(volume(4, "r5").read(0, 2 * MIB)));
  }

  @Test
  @Order(4)
  void aBladeThatComesBackStaleIsResynchronisedBeforeItIsRead() throws Exception {
    // Blade 3 left in the previous test: its mirror copy and RAID-5 member are FAILED, and the
    // volumes took writes since; no spare is left for either.
    byte[] newer = random(MIB, 7);
    await(volume(1, "r1").write(0, newer, true));
    r1Data = newer;
    byte[] newer5 = random(300_000, 8);
    await(volume(1, "r5").write(1_000_000, newer5, true));
    System.arraycopy(newer5, 0, r5Data, 1_000_000, newer5.length);

    blades.start(3, TWO_DISKS);
    awaitMembers(1, "r1", List.of(Member.State.ACTIVE, Member.State.ACTIVE), List.of(dev(1, 0), dev(3, 0)));
    awaitMembers(1, "r5", List.of(Member.State.ACTIVE, Member.State.ACTIVE, Member.State.ACTIVE),
        List.of(dev(1, 1), dev(4, 0), dev(3, 1)));
    assertArrayEquals(r1Data, disk(3, 0, 0, MIB), "the returned copy was brought up to date");
    assertParityIsConsistent(List.of(new int[] {1, 1}, new int[] {4, 0}, new int[] {3, 1}));
    assertArrayEquals(r5Data, await(volume(3, "r5").read(0, 2 * MIB)));
  }
}
