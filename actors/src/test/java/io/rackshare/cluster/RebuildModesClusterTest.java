package io.rackshare.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.access.BlockDevice;
import io.rackshare.management.BladeStatus;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.Member;
import io.rackshare.testkit.TestBlades;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rebuilds at a limited rate, so that they can be watched: with {@code rebuild = online} writes go
 * on during the rebuild and land on the rebuilt copy too; with {@code offline} they wait for it,
 * while reads do not. An operator fails the members ({@code Rackshare.failMember}).
 */
class RebuildModesClusterTest {

  static final int MIB = 1 << 20;
  static final String VOLUMES = """
      rackshare.volumes = [
        { name = online, layout = raid1, rebuild-rate = 128KiB, members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(0)",
            "Rack(1)/Chassis(1)/Blade(2)/Disk(0)"], spares = ["Rack(1)/Chassis(1)/Blade(3)/Disk(0)"] }
        { name = offline, layout = raid1, rebuild = offline, rebuild-rate = 256KiB,
          members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(1)", "Rack(1)/Chassis(1)/Blade(2)/Disk(1)"],
          spares = ["Rack(1)/Chassis(1)/Blade(3)/Disk(1)"] }
      ]
      rackshare.access.rebuild-step = 64KiB
      """;
  static final String TWO_DISKS = """
      [{ file = "disk0.img", size = 1MiB, block-size = 4096 }, { file = "disk1.img", size = 1MiB, block-size = 4096 }]
      """;

  @TempDir static Path root;
  static TestBlades blades;

  @BeforeAll
  static void start() {
    blades = new TestBlades(root, VOLUMES);
    for (int slot = 1; slot <= 3; slot++) blades.start(slot, TWO_DISKS);
  }

  @AfterAll
  static void stop() {
    blades.close();
  }

  static <T> T await(java.util.concurrent.CompletionStage<T> s) throws Exception {
    return s.toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  static DevicePath dev(int slot, int index) {
    return DevicePath.disk(new BladeId(1, 1, slot), index);
  }

  static Member.State stateOfSpare(String volume) {
    return blades.rackshare(1).localMap().volume(volume).orElseThrow().member(1).state();
  }

  static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void onlineWritesGoOnDuringTheRebuildWhoseProgressIsVisible() throws Exception {
    BlockDevice v = await(blades.rackshare(1).awaitVolume("online", Duration.ofSeconds(20)));
    byte[] data = random(MIB, 1);
    await(v.write(0, data, true));
    blades.awaitMapEpoch(1, await(blades.rackshare(1).failMember("online", dev(2, 0))));
    assertEquals(Member.State.REBUILDING, stateOfSpare("online"));

    // A write during the rebuild completes while the spare is still being rebuilt.
    // (The rebuild takes 8 s at 128 KiB/s; a CI run once saw the write end after a 4 s one.)
    byte[] more = random(200_000, 2);
    long asked = System.nanoTime();
    CompletableFuture<Member.State> during = v.write(700_000, more, true).toCompletableFuture()
        .thenApply(x -> stateOfSpare("online"));
    Member.State then = during.get(30, TimeUnit.SECONDS);
    assertEquals(Member.State.REBUILDING, then,
        "the write took " + (System.nanoTime() - asked) / 1_000_000 + " ms");
    System.arraycopy(more, 0, data, 700_000, more.length);

    // Progress: part done, a speed, the time left, as any blade's status shows it.
    TestProbe<Object> probe = blades.kit(2).createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(20), Duration.ofMillis(100), () -> {
      BladeStatus s = statusOf(2);
      BladeStatus.Volume vol = s.volumes().stream().filter(x -> x.name().equals("online")).findFirst().orElseThrow();
      assertEquals(1, vol.rebuilds().size(), "a rebuild is shown");
      BladeStatus.Rebuild r = vol.rebuilds().get(0);
      assertTrue(r.percent() > 0 && r.percent() < 100, "part done: " + r);
      assertTrue(r.mibPerSecond() > 0 && r.secondsLeft() >= 0, "speed and time left: " + r);
      assertTrue(r.mibPerSecond() < 0.5, "within the 128 KiB/s limit: " + r);
      return null;
    });
    probe.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
      assertEquals(Member.State.ACTIVE, stateOfSpare("online"));
      return null;
    });
    assertArrayEquals(data, Files.readAllBytes(blades.dataDir(3).resolve("disk0.img")), "the rebuilt copy");
    assertArrayEquals(data, Files.readAllBytes(blades.dataDir(1).resolve("disk0.img")), "the surviving copy");
  }

  @Test
  void offlineWritesWaitForTheRebuildButReadsDoNot() throws Exception {
    BlockDevice v = await(blades.rackshare(3).awaitVolume("offline", Duration.ofSeconds(20)));
    byte[] data = random(MIB, 3);
    await(v.write(0, data, true));
    blades.awaitMapEpoch(1, await(blades.rackshare(1).failMember("offline", dev(2, 1))));
    CompletableFuture<Member.State> read = v.read(0, 4096).toCompletableFuture().thenApply(x -> stateOfSpare("offline"));
    byte[] more = random(4096, 4);
    CompletableFuture<Member.State> write = v.write(8192, more, true).toCompletableFuture()
        .thenApply(x -> stateOfSpare("offline"));
    assertEquals(Member.State.REBUILDING, read.get(30, TimeUnit.SECONDS), "the read did not wait");
    assertEquals(Member.State.ACTIVE, write.get(60, TimeUnit.SECONDS), "the write waited for the rebuild");
    System.arraycopy(more, 0, data, 8192, more.length);
    assertArrayEquals(data, Files.readAllBytes(blades.dataDir(3).resolve("disk1.img")));
  }

  static BladeStatus statusOf(int slot) {
    try {
      return blades.rackshare(slot).status().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
