package io.rackshare.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.access.BlockDevice;
import io.rackshare.testkit.TestBlades;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The RAID-5 write hole: a whole cluster stops while a stripe's data is written but its parity is
 * not. The stripe's coordinator recorded the stripe's region in its write-intent log before
 * writing; at the next start it recomputes the parity of that region, and only of that region.
 */
class Raid5WriteHoleTest {

  static final int CHUNK = 16 * 1024;
  static final String VOLUMES = """
      rackshare.volumes = [{ name = r5, layout = raid5, stripe-size = 16KiB, intent-region = 64KiB,
        members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(0)", "Rack(1)/Chassis(1)/Blade(2)/Disk(0)",
                   "Rack(1)/Chassis(1)/Blade(3)/Disk(0)"] }]
      """;
  static final String DISK = "[{ file = \"disk0.img\", size = 512KiB, block-size = 4096 }]";

  @TempDir Path root;
  TestBlades blades;

  @AfterEach
  void stop() {
    if (blades != null) blades.close();
  }

  Path disk(int slot) {
    return blades.dataDir(slot).resolve("disk0.img");
  }

  /** Whether the chunks of stripe {@code s} on the three disks XOR to zero. */
  boolean parityHolds(int s) throws Exception {
    byte[] x = new byte[CHUNK];
    for (int slot = 1; slot <= 3; slot++) {
      try (RandomAccessFile f = new RandomAccessFile(disk(slot).toFile(), "r")) {
        byte[] c = new byte[CHUNK];
        f.seek((long) s * CHUNK);
        f.readFully(c);
        for (int i = 0; i < CHUNK; i++) x[i] ^= c[i];
      }
    }
    for (byte b : x) if (b != 0) return false;
    return true;
  }

  void overwrite(int slot, long offset, byte[] bytes) throws Exception {
    try (RandomAccessFile f = new RandomAccessFile(disk(slot).toFile(), "rw")) {
      f.seek(offset);
      f.write(bytes);
      f.getFD().sync();
    }
  }

  @Test
  void dirtyRegionsOfTheIntentLogGetTheirParityRecomputedAtTheNextStart() throws Exception {
    blades = new TestBlades(root, VOLUMES);
    for (int slot = 1; slot <= 3; slot++) blades.start(slot, DISK);
    BlockDevice v = blades.rackshare(1).awaitVolume("r5", Duration.ofSeconds(20)).toCompletableFuture().get();
    byte[] data = new byte[(int) v.size()];
    new Random(5).nextBytes(data);
    v.write(0, data, true).toCompletableFuture().get(30, TimeUnit.SECONDS);
    for (int s = 0; s < 32; s++) assertTrue(parityHolds(s), "stripe " + s + " after the writes");
    // The blades stop one by one here, and the later ones store maps in which the earlier ones
    // failed. A power loss stops them all at once, with the maps they hold now: keep those.
    java.util.Map<Integer, String> maps = new java.util.HashMap<>();
    for (int slot = 1; slot <= 3; slot++) {
      maps.put(slot, Files.readString(blades.dataDir(slot).resolve(io.rackshare.blade.MapStore.FILE)));
    }
    blades.close();
    for (int slot = 1; slot <= 3; slot++) {
      Files.writeString(blades.dataDir(slot).resolve(io.rackshare.blade.MapStore.FILE), maps.get(slot));
    }
    // A clean stop leaves no region dirty.
    assertEquals("", Files.readString(blades.dataDir(3).resolve("write-intents")));

    // Now the crash: new data reached a data chunk of stripes 3 and 9 but not their parity.
    // Stripe s keeps its parity on member 2 - s % 3: both on blade 3, which coordinates them.
    byte[] garbage = new byte[CHUNK];
    new Random(6).nextBytes(garbage);
    // Stripe 3's data chunk 0 is on member (2 + 1) % 3 = 0: blade 1, at device offset 3 * CHUNK.
    overwrite(1, 3L * CHUNK, garbage);
    overwrite(1, 9L * CHUNK, garbage);
    assertFalse(parityHolds(3));
    assertFalse(parityHolds(9));
    // Blade 3 coordinates both; its log recorded region 0 (stripes 0-3) as being written.
    Files.writeString(blades.dataDir(3).resolve("write-intents"), "r5\t0\n");

    for (int slot = 1; slot <= 3; slot++) blades.start(slot, DISK);
    TestProbe<Object> probe = blades.kit(1).createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(200), () -> {
      try {
        assertTrue(parityHolds(3), "stripe 3's parity recomputed");
        assertEquals("", Files.readString(blades.dataDir(3).resolve("write-intents")).strip());
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return null;
    });
    assertFalse(parityHolds(9), "stripe 9's region was not in the log: nobody touched it");
    // The volume reads what the data chunks hold now.
    byte[] chunk = blades.rackshare(2).volume("r5").orElseThrow().read(6L * CHUNK, CHUNK)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertArrayEquals(garbage, chunk);
  }
}
