package io.rackshare.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rackshare.access.BlockDevice;
import io.rackshare.manager.ManagerProtocol;
import io.rackshare.map.Member;
import io.rackshare.testkit.TestBlades;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A mirror copy whose blade was away comes back with only the regions written meanwhile (md's
 * write-intent bitmap): the copy that stayed in sync saw it fail and says which regions. If that
 * copy cannot say (its blade restarted meanwhile), the returning copy is rebuilt whole. Either way
 * the two copies end byte-identical. Blade 1, the manager's (lowest slot), writes and reads.
 */
class MirrorResyncTest {

  static final int MIB = 1 << 20;
  static final int REGION = 64 * 1024;
  static final String VOLUMES = """
      rackshare.volumes = [{ name = m, layout = raid1,
        members = ["Rack(1)/Chassis(1)/Blade(2)/Disk(0)", "Rack(1)/Chassis(1)/Blade(3)/Disk(0)"] }]
      rackshare.access.resync-region = 64KiB
      rackshare.access.resync-window = 0s
      rackshare.access.rebuild-step = 64KiB
      """;
  static final String DISK = "[{ file = \"disk0.img\", size = 4MiB, block-size = 4096 }]";

  @TempDir Path root;
  TestBlades blades;

  @AfterEach
  void stop() {
    if (blades != null) blades.close();
  }

  static <T> T await(CompletionStage<T> s) throws Exception {
    return s.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  void awaitStates(List<Member.State> expected) {
    TestProbe<Object> probe = blades.kit(1).createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(40), Duration.ofMillis(100), () -> {
      assertEquals(expected, blades.rackshare(1).localMap().volume("m").orElseThrow().members().stream()
          .map(Member::state).toList());
      return null;
    });
  }

  /** The bytes the last rebuild of the second copy covered, as blade 1 heard of it. */
  long rebuiltBytes() {
    ManagerProtocol.RebuildProgress p = blades.status(1).rebuilds().get("m#1");
    return p == null ? -1 : p.totalBytes();
  }

  /** Writes the whole volume, stops blade 3, and writes {@code writes} (offset, length) meanwhile. */
  byte[] failSecondCopyAndWrite(long[][] writes) throws Exception {
    blades = new TestBlades(root, VOLUMES);
    for (int slot = 1; slot <= 3; slot++) blades.start(slot, DISK);
    BlockDevice v = await(blades.rackshare(1).awaitVolume("m", Duration.ofSeconds(20)));
    byte[] expected = random(4 * MIB, 1);
    await(v.write(0, expected, true));
    blades.stop(3);
    awaitStates(List.of(Member.State.ACTIVE, Member.State.FAILED));
    Member failed = blades.rackshare(1).localMap().volume("m").orElseThrow().member(1);
    assertEquals(failed.since(), failed.missedFrom(),
        "a copy that fails starts missing writes at that epoch");
    for (int i = 0; i < writes.length; i++) {
      byte[] b = random((int) writes[i][1], 10 + i);
      await(v.write(writes[i][0], b, true));
      System.arraycopy(b, 0, expected, (int) writes[i][0], b.length);
    }
    return expected;
  }

  void assertCopiesEqual(byte[] expected) throws Exception {
    assertArrayEquals(expected, Files.readAllBytes(blades.dataDir(2).resolve("disk0.img")), "the copy that stayed");
    assertArrayEquals(expected, Files.readAllBytes(blades.dataDir(3).resolve("disk0.img")), "the copy that came back");
    assertArrayEquals(expected, await(blades.rackshare(1).volume("m").orElseThrow().read(0, 4 * MIB)));
  }

  @Test
  void aReturningCopyGetsBackOnlyTheRegionsWrittenWhileItWasAway() throws Exception {
    // One write inside region 16, one across the boundary of regions 47 and 48.
    byte[] expected = failSecondCopyAndWrite(new long[][] {{MIB + 100, 4096}, {3 * MIB - 50 * 1024, 100 * 1024}});

    blades.start(3, DISK);
    awaitStates(List.of(Member.State.ACTIVE, Member.State.ACTIVE));
    assertEquals(3L * REGION, rebuiltBytes(), "three 64 KiB regions were written while blade 3 was away");
    assertCopiesEqual(expected);
  }

  @Test
  void aCopyThatCannotSayWhatWasMissedHasTheReturningCopyRebuiltWhole() throws Exception {
    byte[] expected = failSecondCopyAndWrite(new long[][] {{MIB + 100, 4096}});

    // The copy in sync restarts: it no longer knows what blade 3 missed (the volume is down
    // meanwhile: its last copy is offline, and comes back as it was).
    blades.stop(2);
    awaitStates(List.of(Member.State.OFFLINE, Member.State.FAILED));
    blades.start(2, DISK);
    awaitStates(List.of(Member.State.ACTIVE, Member.State.FAILED));

    blades.start(3, DISK);
    awaitStates(List.of(Member.State.ACTIVE, Member.State.ACTIVE));
    assertEquals(4L * MIB, rebuiltBytes(), "rebuilt whole");
    assertCopiesEqual(expected);
  }
}
