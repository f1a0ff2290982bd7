package io.rackshare.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.access.BlockDevice;
import io.rackshare.map.BladeId;
import io.rackshare.testkit.TestBlades;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Both routing modes (0084, 0085). {@code local-maps}: blade 3 routes its requests with its own
 * map, the manager's blade serves none of them. {@code manager-proxy}: every request of blade 3
 * goes through the manager's blade; a request made while the manager's blade is leaving waits and
 * is served by the next manager.
 */
class RoutingModesTest {

  static final String DISK = "[{ file = \"disk0.img\", size = 1MiB, block-size = 4096 }]";

  @TempDir Path root;
  TestBlades blades;

  @AfterEach
  void stop() {
    if (blades != null) blades.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"local-maps", "manager-proxy"})
  void requestsGoWhereTheRoutingModeSends(String routing) throws Exception {
    blades = new TestBlades(root, """
        rackshare.access.routing = %s
        rackshare.volumes = [{ name = m, layout = raid1, members = ["Rack(1)/Chassis(1)/Blade(2)/Disk(0)",
          "Rack(1)/Chassis(1)/Blade(3)/Disk(0)"] }]
        """.formatted(routing));
    blades.start(1, "[]");
    blades.start(2, DISK);
    blades.start(3, DISK);
    TestProbe<Object> probe = blades.kit(3).createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(30), () -> {
      assertEquals(Optional.of(new BladeId(1, 1, 1)), blades.status(3).manager());
      return null;
    });
    assertEquals(routing, blades.rackshare(3).status().toCompletableFuture().get(5, TimeUnit.SECONDS).routing());
    BlockDevice v = blades.rackshare(3).awaitVolume("m", Duration.ofSeconds(30)).toCompletableFuture().get();
    byte[] data = new byte[128 * 1024];
    new Random(7).nextBytes(data);
    v.write(4096, data, true).toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertArrayEquals(data, v.read(4096, data.length).toCompletableFuture().get(30, TimeUnit.SECONDS));
    boolean proxy = routing.equals("manager-proxy");
    long viaManager = blades.rackshare(1).proxiedRequests();
    assertEquals(proxy ? 2 : 0, viaManager, "requests of blade 3 served by the manager's blade");
    assertEquals(0, blades.rackshare(3).proxiedRequests());

    // The manager's blade leaves; a request made now is served (by the next manager, when proxied).
    blades.stop(1);
    byte[] more = new byte[64 * 1024];
    new Random(8).nextBytes(more);
    CompletableFuture<Void> write = v.write(256 * 1024, more, false).toCompletableFuture();
    write.get(60, TimeUnit.SECONDS);
    assertArrayEquals(more, v.read(256 * 1024, more.length).toCompletableFuture().get(30, TimeUnit.SECONDS));
    assertArrayEquals(data, blades.rackshare(2).awaitVolume("m", Duration.ofSeconds(30)).toCompletableFuture().get()
        .read(4096, data.length).toCompletableFuture().get(30, TimeUnit.SECONDS));
    if (proxy) {
      assertTrue(blades.rackshare(2).proxiedRequests() >= 2, "the next manager's blade serves blade 3's requests");
    } else {
      assertEquals(0, blades.rackshare(2).proxiedRequests());
    }
  }
}
