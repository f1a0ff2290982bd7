package io.rackshare.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rackshare.access.BlockDevice;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
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
 * A disk that starts failing with I/O errors: blade 2's mirror copy is a file on nbdfuse over
 * nbdkit's memory plugin with its {@code error} filter, which fails every request once a trigger
 * file exists. The write that meets the error still succeeds for its client; the member is failed
 * and the hot spare rebuilt from the other copy.
 */
class FaultyDiskTest {

  static final int MIB = 1 << 20;

  @TempDir Path root;
  TestBlades blades;
  Process nbdkit;
  Process nbdfuse;
  Path mount;

  @AfterEach
  void stop() throws Exception {
    if (blades != null) blades.close();
    if (mount != null) new ProcessBuilder("fusermount3", "-u", mount.toString()).start().waitFor(10, TimeUnit.SECONDS);
    if (nbdfuse != null) nbdfuse.destroy();
    if (nbdkit != null) nbdkit.destroy();
  }

  /** Waits for a file another process creates: there is no event to wait on. */
  static void awaitFile(Path p) throws Exception {
    for (int i = 0; i < 200 && !Files.exists(p); i++) Thread.sleep(50);
    if (!Files.exists(p)) throw new AssertionError(p + " did not appear");
  }

  @Test
  void aMemberWhoseDiskFailsWritesIsReplacedByTheSpareAndNoWriteFails() throws Exception {
    Path sock = root.resolve("nbdkit.sock");
    Path trigger = root.resolve("fail-now");
    mount = root.resolve("fuse");
    Files.createDirectories(mount);
    nbdkit = new ProcessBuilder("nbdkit", "-f", "-U", sock.toString(), "--filter=error", "memory", "2M",
        "error-rate=100%", "error-file=" + trigger, "error=EIO").redirectErrorStream(true)
        .redirectOutput(root.resolve("nbdkit.log").toFile()).start();
    awaitFile(sock);
    nbdfuse = new ProcessBuilder("nbdfuse", mount.toString(), "--unix", sock.toString()).redirectErrorStream(true)
        .redirectOutput(root.resolve("nbdfuse.log").toFile()).start();
    awaitFile(mount.resolve("nbd"));

    blades = new TestBlades(root, """
        rackshare.volumes = [{ name = m, layout = raid1, members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(0)",
          "Rack(1)/Chassis(1)/Blade(2)/Disk(0)"], spares = ["Rack(1)/Chassis(1)/Blade(3)/Disk(0)"] }]
        """);
    String plain = "[{ file = \"disk0.img\", size = 2MiB, block-size = 4096 }]";
    blades.start(1, plain);
    blades.start(2, "[{ file = \"" + mount.resolve("nbd") + "\", size = 2MiB, block-size = 4096 }]");
    blades.start(3, plain);
    BlockDevice v = blades.rackshare(3).awaitVolume("m", Duration.ofSeconds(20)).toCompletableFuture().get();
    byte[] data = new byte[2 * MIB];
    new Random(9).nextBytes(data);
    v.write(0, java.nio.ByteBuffer.wrap(data, 0, MIB), true).toCompletableFuture().get(30, TimeUnit.SECONDS);

    // The disk goes bad; the next writes meet I/O errors on blade 2's copy.
    Files.createFile(trigger);
    v.write(MIB, java.nio.ByteBuffer.wrap(data, MIB, MIB), true).toCompletableFuture().get(30, TimeUnit.SECONDS);

    TestProbe<Object> probe = blades.kit(1).createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
      GlobalResourceDescriptor m = blades.rackshare(1).localMap().volume("m").orElseThrow();
      assertEquals(List.of(DevicePath.disk(new BladeId(1, 1, 1), 0), DevicePath.disk(new BladeId(1, 1, 3), 0)),
          m.devices());
      assertEquals(List.of(Member.State.ACTIVE, Member.State.ACTIVE), m.members().stream().map(Member::state).toList());
      return null;
    });
    assertArrayEquals(data, Files.readAllBytes(blades.dataDir(1).resolve("disk0.img")));
    assertArrayEquals(data, Files.readAllBytes(blades.dataDir(3).resolve("disk0.img")), "the spare, rebuilt");
    assertArrayEquals(data, v.read(0, 2 * MIB).toCompletableFuture().get(30, TimeUnit.SECONDS));
  }
}
