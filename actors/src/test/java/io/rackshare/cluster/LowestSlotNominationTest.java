package io.rackshare.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rackshare.access.BlockDevice;
import io.rackshare.map.BladeId;
import io.rackshare.testkit.TestBlades;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code nomination = lowest-slot}: the manager runs on the lowest slot in the cluster. Blades 2
 * and 3 start first, so blade 2 runs it; blade 1 joins and takes over by a hand-off; blade 1
 * leaves and blade 2 runs it again. Volumes serve throughout.
 */
class LowestSlotNominationTest {

  static final String CONFIG = """
      rackshare.manager.nomination = lowest-slot
      rackshare.volumes = [{ name = m, layout = raid1, members = ["Rack(1)/Chassis(1)/Blade(2)/Disk(0)",
        "Rack(1)/Chassis(1)/Blade(3)/Disk(0)"] }]
      """;
  static final String DISK = "[{ file = \"disk0.img\", size = 1MiB, block-size = 4096 }]";

  @TempDir Path root;
  TestBlades blades;

  @AfterEach
  void stop() {
    if (blades != null) blades.close();
  }

  void awaitManager(int seenBy, int slot) {
    TestProbe<Object> probe = blades.kit(seenBy).createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
      assertEquals(Optional.of(new BladeId(1, 1, slot)), blades.status(seenBy).manager());
      return null;
    });
  }

  @Test
  void theLowestSlotRunsTheManagerAndALowerOneTakesOver() throws Exception {
    blades = new TestBlades(root, CONFIG);
    blades.start(2, DISK);
    blades.start(3, DISK);
    awaitManager(3, 2);
    BlockDevice v = blades.rackshare(3).awaitVolume("m", Duration.ofSeconds(30)).toCompletableFuture().get();
    byte[] data = new byte[64 * 1024];
    new Random(3).nextBytes(data);
    v.write(0, data, true).toCompletableFuture().get(30, TimeUnit.SECONDS);

    blades.start(1, "[]");
    awaitManager(3, 1);
    awaitManager(2, 1);
    assertArrayEquals(data, blades.rackshare(1).awaitVolume("m", Duration.ofSeconds(30)).toCompletableFuture().get()
        .read(0, data.length).toCompletableFuture().get(30, TimeUnit.SECONDS));

    blades.stop(1);
    awaitManager(3, 2);
    assertArrayEquals(data, v.read(0, data.length).toCompletableFuture().get(30, TimeUnit.SECONDS));
  }
}
