package io.rackshare.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.access.BlockDevice;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.Member;
import io.rackshare.testkit.TestBlades;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Self-healing ({@code rackshare.manager.replace-failed-after}): a mirror copy fails with no hot
 * spare; once the delay has passed, the manager gives its place to the free disk of blade 3 (the
 * pool's only disk that fits; blade 1's second disk holds no copy but shares the surviving copy's
 * blade), which is rebuilt byte for byte while writes go on, and blade 2's failed disk stays out.
 */
class SelfHealingClusterTest {
  static final int MIB = 1 << 20;
  static final Duration DELAY = Duration.ofSeconds(2);
  static final String CONFIG = """
      rackshare.volumes = [
        { name = m, layout = raid1, members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(0)", "Rack(1)/Chassis(1)/Blade(2)/Disk(0)"] }
      ]
      rackshare.manager.replace-failed-after = 2s
      rackshare.manager.offline-retry = 200ms
      """;
  static final String DISK = "[{ file = \"disk0.img\", size = 1MiB, block-size = 4096 }]";
  static final String TWO_DISKS = "[{ file = \"disk0.img\", size = 1MiB, block-size = 4096 },"
      + " { file = \"disk1.img\", size = 2MiB, block-size = 4096 }]";

  @TempDir static Path root;
  static TestBlades blades;

  @BeforeAll
  static void start() {
    blades = new TestBlades(root, CONFIG);
    blades.start(1, TWO_DISKS);
    blades.start(2, DISK);
    blades.start(3, DISK);
  }

  @AfterAll
  static void stop() {
    blades.close();
  }

  static <T> T await(java.util.concurrent.CompletionStage<T> s) throws Exception {
    return s.toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  static Member member(int position) {
    return blades.rackshare(1).localMap().volume("m").orElseThrow().member(position);
  }

  @Test
  void aFailedCopyWithNoSpareIsRebuiltOntoAFreeDiskOnceTheDelayHasPassed() throws Exception {
    BlockDevice v = await(blades.rackshare(3).awaitVolume("m", Duration.ofSeconds(30)));
    byte[] data = new byte[MIB];
    new Random(5).nextBytes(data);
    await(v.write(0, data, true));
    DevicePath failed = DevicePath.disk(new BladeId(1, 1, 2), 0);
    DevicePath free = DevicePath.disk(new BladeId(1, 1, 3), 0);
    long failedAt = System.nanoTime();
    // Confirmed means the failed device's blade routes with that map; blade 1 may be a moment later.
    blades.awaitMapEpoch(1, await(blades.rackshare(1).failMember("m", failed)));
    TestProbe<Object> probe = blades.kit(1).createTestProbe();
    assertEquals(failed, member(1).device());
    assertEquals(Member.State.FAILED, member(1).state(), "no spare: the copy is failed and waits");

    // Writes go on while the volume is degraded and while the free disk is rebuilt.
    byte[] more = new byte[100_000];
    new Random(6).nextBytes(more);
    await(v.write(300_000, more, true));
    System.arraycopy(more, 0, data, 300_000, more.length);

    probe.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(50), () -> {
      assertEquals(free, member(1).device(), "the free disk of blade 3 took the failed copy's place");
      return null;
    });
    long replacedAfter = (System.nanoTime() - failedAt) / 1_000_000;
    assertTrue(replacedAfter >= DELAY.toMillis(), "not before the delay: " + replacedAfter + " ms");
    probe.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
      assertEquals(Member.State.ACTIVE, member(1).state(), "rebuilt");
      return null;
    });
    assertArrayEquals(data, Files.readAllBytes(blades.dataDir(3).resolve("disk0.img")), "the rebuilt copy");
    assertTrue(blades.rackshare(1).localMap().volume("m").orElseThrow().devices().stream()
        .noneMatch(d -> d.equals(failed) || d.blade().equals(new BladeId(1, 1, 2))), "blade 2's disk stays out");
    assertEquals(DevicePath.disk(new BladeId(1, 1, 1), 0), member(0).device(), "blade 1's Disk(1) was not taken");
  }

  @Test
  void aDelayThatIsNeitherOffNorPositiveIsRefusedClearly() {
    RuntimeException e = blades.startRefused(4, "[]", "rackshare.manager.replace-failed-after = -1s");
    assertTrue(String.valueOf(e.getMessage()).contains("rackshare.manager.replace-failed-after: off or a positive duration"),
        String.valueOf(e.getMessage()));
  }
}
