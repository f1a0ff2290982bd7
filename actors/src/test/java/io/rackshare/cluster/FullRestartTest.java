package io.rackshare.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.blade.MapStore;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.Member;
import io.rackshare.testkit.TestBlades;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole cluster stops and starts again. Each blade kept its last map in its data directory
 * (the seed's firmware variables, 0087/0093): it routes with it at once, and the new manager
 * learns from it that a mirror copy which missed writes before the stop is stale, so that copy is
 * resynchronised instead of being read.
 */
class FullRestartTest {

  static final int MIB = 1 << 20;
  static final String VOLUMES = """
      rackshare.volumes = [{ name = m, layout = raid1, read-policy = balanced, read-chunk = 4KiB,
        members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(0)", "Rack(1)/Chassis(1)/Blade(2)/Disk(0)"] }]
      """;
  static final String DISK = "[{ file = \"disk0.img\", size = 1MiB, block-size = 4096 }]";

  @TempDir Path root;
  TestBlades blades;

  @AfterEach
  void stop() {
    if (blades != null) blades.close();
  }

  List<Member.State> states(int slot) {
    GlobalResourceDescriptor v = blades.rackshare(slot).localMap().volume("m").orElseThrow();
    return v.members().stream().map(Member::state).toList();
  }

  void await(int slot, List<Member.State> expected) {
    TestProbe<Object> probe = blades.kit(slot).createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
      assertEquals(expected, states(slot));
      return null;
    });
  }

  @Test
  void aCopyThatWasStaleBeforeTheStopIsResynchronisedAfterIt() throws Exception {
    blades = new TestBlades(root, VOLUMES);
    for (int slot = 1; slot <= 3; slot++) blades.start(slot, DISK);
    byte[] a = new byte[MIB];
    new Random(1).nextBytes(a);
    blades.rackshare(3).awaitVolume("m", Duration.ofSeconds(20)).toCompletableFuture().get()
        .write(0, a, true).toCompletableFuture().get(30, TimeUnit.SECONDS);

    blades.stop(2);
    await(1, List.of(Member.State.ACTIVE, Member.State.FAILED));
    byte[] b = new byte[MIB];
    new Random(2).nextBytes(b);
    blades.rackshare(3).volume("m").orElseThrow().write(0, b, true).toCompletableFuture().get(30, TimeUnit.SECONDS);
    blades.close();
    assertTrue(Files.readString(blades.dataDir(1).resolve(MapStore.FILE)).contains("FAILED"));

    // Blade 1 alone first: it routes with its stored map before anything else happens, and the
    // manager (on blade 1) keeps blade 2's copy stale.
    blades.start(1, DISK);
    assertEquals(List.of(Member.State.ACTIVE, Member.State.FAILED), states(1));
    assertArrayEquals(b, blades.rackshare(1).volume("m").orElseThrow().read(0, MIB)
        .toCompletableFuture().get(30, TimeUnit.SECONDS), "never the stale copy");
    blades.start(2, DISK);
    blades.start(3, DISK);
    await(1, List.of(Member.State.ACTIVE, Member.State.ACTIVE));
    assertArrayEquals(b, Files.readAllBytes(blades.dataDir(2).resolve("disk0.img")), "resynchronised");
    assertArrayEquals(b, blades.rackshare(2).volume("m").orElseThrow().read(0, MIB)
        .toCompletableFuture().get(30, TimeUnit.SECONDS));
  }
}
