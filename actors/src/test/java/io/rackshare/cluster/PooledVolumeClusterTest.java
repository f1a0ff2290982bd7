package io.rackshare.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.map.BladeId;
import io.rackshare.map.Extent;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.Part;
import io.rackshare.map.VolumeRequest;
import io.rackshare.testkit.TestBlades;
import io.rackshare.testkit.Tool;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Volumes created by size on the pool (issue 15): three blades offer one 16 MiB disk each, with no
 * volume in the config; 3-copy raid1 volumes are created through the Java API, the management
 * endpoint and its operator token, and is then used by qemu-io over NBD. The disks start full of
 * an earlier volume's bytes (0xAB): what the new volume never wrote reads as zeros, and every
 * byte written lands in the parts' extents and nowhere else.
 */
class PooledVolumeClusterTest {
  static final Duration T = Duration.ofSeconds(60);
  static final int MIB = 1 << 20;
  static final String DISK = "[{ file = disk0.img, size = 32MiB, block-size = 4096 }]";

  @TempDir static Path root;
  static TestBlades blades;

  @BeforeAll
  static void start() throws Exception {
    blades = new TestBlades(root, """
        rackshare.pool.extent-size = 1MiB
        rackshare.nbd { enabled = on, port = 0 }
        rackshare.manager.replace-failed-after = 1s
        rackshare.manager.offline-retry = 200ms
        """);
    for (int slot = 1; slot <= 3; slot++) {
      // What an earlier volume left on the disk: the pool hands it out only zeroed.
      Files.createDirectories(blades.dataDir(slot));
      byte[] old = new byte[32 * MIB];
      Arrays.fill(old, (byte) 0xAB);
      Files.write(blades.dataDir(slot).resolve("disk0.img"), old);
    }
    blades.start(1, DISK);
    blades.start(2, DISK);
    blades.start(3, DISK, "rackshare.management { enabled = on, port = 0 }");
  }

  @AfterAll
  static void stop() {
    blades.close();
  }

  static <T> T await(java.util.concurrent.CompletionStage<T> s) throws Exception {
    return s.toCompletableFuture().get(T.toSeconds(), TimeUnit.SECONDS);
  }

  static String uri(int slot, String volume) {
    return "nbd://127.0.0.1:" + blades.rackshare(slot).nbdServer().orElseThrow().tcpAddress().getPort() + "/" + volume;
  }

  /** The bytes of {@code part} as they lie on its blade's disk file, extent after extent. */
  static byte[] onDisk(Part part, int blockSize) throws Exception {
    int slot = part.path().blade().slot();
    byte[] out = new byte[(int) (part.blocks() * blockSize)];
    try (RandomAccessFile f = new RandomAccessFile(blades.dataDir(slot).resolve("disk0.img").toFile(), "r")) {
      for (Extent e : part.extents()) {
        f.seek(e.deviceBlock() * blockSize);
        f.readFully(out, (int) (e.volumeBlock() * blockSize), (int) (e.blockCount() * blockSize));
      }
    }
    return out;
  }

  @Test
  void aThreeCopyVolumeBySizeServesZerosThenWhatIsWrittenOnThreeBlades() throws Exception {
    GlobalResourceDescriptor v = await(blades.rackshare(2).createVolume(
        new VolumeRequest("triple", "raid1", 5 * MIB, 3, 0, 0, Map.of()), T));
    assertEquals(5L * MIB, v.sizeBytes());
    assertTrue(v.partsReady(), "create returns once the parts are zeroed");
    Set<BladeId> blades3 = new HashSet<>();
    v.parts().forEach(p -> blades3.add(p.path().blade()));
    assertEquals(3, blades3.size(), "three copies on three blades: " + v.devices());

    // qemu-io through blade 1's NBD export: never written reads as zeros, not the 0xAB left there.
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "read -P 0 0 5M", uri(1, "triple")).ok();
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "write -P 0x5c 1M 2M", "-c", "flush", uri(1, "triple")).ok();
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "read -P 0x5c 1M 2M", "-c", "read -P 0 0 1M", "-c", "read -P 0 3M 2M",
        uri(3, "triple")).ok();

    // Every copy holds exactly that in its extents; the rest of each disk is as it was.
    byte[] expected = new byte[5 * MIB];
    Arrays.fill(expected, MIB, 3 * MIB, (byte) 0x5c);
    for (Part p : v.parts()) {
      assertArrayEquals(expected, onDisk(p, v.blockSize()), p.path() + " on " + p.disk());
      byte[] whole = Files.readAllBytes(blades.dataDir(p.path().blade().slot()).resolve("disk0.img"));
      boolean[] inPart = new boolean[whole.length];
      for (Extent e : p.extents()) {
        Arrays.fill(inPart, (int) (e.deviceBlock() * v.blockSize()), (int) ((e.deviceBlock() + e.blockCount()) * v.blockSize()), true);
      }
      for (int i = 0; i < whole.length; i += 4096) {
        if (!inPart[i] && !ownedByAnotherVolume(p, i)) assertEquals((byte) 0xAB, whole[i], "byte " + i + " outside the part");
      }
    }

    // The Java API on blade 3 reads what qemu-io wrote through blade 1.
    byte[] mid = await(await(blades.rackshare(3).awaitVolume("triple", T)).read(2 * MIB - 10, 20));
    byte[] want = new byte[20];
    Arrays.fill(want, 0, 20, (byte) 0x5c);
    assertArrayEquals(want, mid);
  }

  /** Whether byte {@code offset} of {@code p}'s disk belongs to a part of some other volume (made by another test). */
  static boolean ownedByAnotherVolume(Part p, long offset) {
    for (GlobalResourceDescriptor other : blades.rackshare(1).localMap().volumes().values()) {
      for (Part q : other.parts()) {
        if (q.path().equals(p.path()) || !q.disk().equals(p.disk())) continue;
        for (Extent e : q.extents()) {
          if (offset >= e.deviceBlock() * other.blockSize() && offset < (e.deviceBlock() + e.blockCount()) * other.blockSize()) {
            return true;
          }
        }
      }
    }
    return false;
  }

  @Test
  void aFailedCopyIsRebuiltOntoANewPartOfThePoolByItself() throws Exception {
    GlobalResourceDescriptor v = await(blades.rackshare(1).createVolume(
        new VolumeRequest("healing", "raid1", 2 * MIB, 2, 0, 0, Map.of()), T));
    byte[] data = new byte[2 * MIB];
    new Random(15).nextBytes(data);
    var device = await(blades.rackshare(1).awaitVolume("healing", T));
    await(device.write(0, data, true));
    io.rackshare.map.DevicePath failed = v.member(1).device();
    io.rackshare.map.DevicePath kept = v.member(0).device();
    await(blades.rackshare(1).failMember("healing", failed));
    var probe = blades.kit(1).createTestProbe();
    GlobalResourceDescriptor[] now = new GlobalResourceDescriptor[1];
    probe.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
      now[0] = blades.rackshare(1).localMap().volume("healing").orElseThrow();
      assertTrue(io.rackshare.map.Part.isPart(now[0].member(1).device()) && !now[0].member(1).device().equals(failed),
          "a new part took the failed copy's place: " + now[0].members());
      assertEquals(io.rackshare.map.Member.State.ACTIVE, now[0].member(1).state(), "rebuilt");
      return null;
    });
    Part fresh = now[0].part(now[0].member(1).device()).orElseThrow();
    assertTrue(!fresh.path().blade().equals(kept.blade()), "not on the surviving copy's blade");
    assertTrue(now[0].part(failed).isEmpty(), "the failed part went back to the pool");
    assertArrayEquals(data, onDisk(fresh, v.blockSize()), "the new copy, byte for byte");
  }

  @Test
  void aVolumeGrowsWhileItIsWrittenAndItsNewBlocksReadAsZeros() throws Exception {
    await(blades.rackshare(2).createVolume(new VolumeRequest("growing", "raid1", 2 * MIB, 3, 0, 0, Map.of()), T));
    var device = await(blades.rackshare(1).awaitVolume("growing", T));
    // A writer rewrites and checks the first 2 MiB the whole time the volume grows.
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicInteger rounds = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.CompletableFuture<Void> writer = java.util.concurrent.CompletableFuture.runAsync(() -> {
      try {
        for (int round = 0; !stop.get() || round < 3; round++) {
          byte[] block = new byte[64 * 1024];
          Arrays.fill(block, (byte) round);
          for (long at = 0; at < 2 * MIB; at += block.length) await(device.write(at, block, false));
          byte[] back = await(device.read(0, 2 * MIB));
          for (byte b : back) {
            if (b != (byte) round) throw new AssertionError("round " + round + " read " + b);
          }
          rounds.incrementAndGet();
        }
      } catch (Exception e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    });
    GlobalResourceDescriptor grown = await(blades.rackshare(3).growVolume("growing", 6 * MIB, T));
    stop.set(true);
    writer.get(60, TimeUnit.SECONDS);
    assertTrue(rounds.get() >= 3, "the writer went on: " + rounds.get() + " rounds");
    assertEquals(6L * MIB, grown.sizeBytes());
    assertEquals(null, grown.growth());
    blades.awaitMapEpoch(1, grown.epoch());
    assertEquals(6L * MIB, device.size(), "the Java API sees the new size at once");
    // The new blocks read as zeros (not the 0xAB left on the disks), and take writes; the old ones kept theirs.
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "read -P 0 2M 4M", "-c", "write -P 0x6e 5M 1M", "-c", "read -P 0x6e 5M 1M",
        uri(2, "growing")).ok();
    assertTrue(Tool.run(T, "nbdinfo", uri(3, "growing")).ok().out().contains("export-size: " + 6L * MIB),
        "a new NBD connection sees the new size");
    for (Part p : grown.parts()) {
      byte[] onIt = onDisk(p, grown.blockSize());
      assertEquals(6 * MIB, onIt.length);
      for (int i = 5 * MIB; i < 6 * MIB; i += 4096) assertEquals((byte) 0x6e, onIt[i], p.path() + " byte " + i);
    }
    ExecutionException refused = assertThrows(ExecutionException.class,
        () -> await(blades.rackshare(1).growVolume("growing", 4 * MIB, T)));
    assertTrue(refused.getCause().getMessage().contains("only grow"), refused.getCause().getMessage());
  }

  @Test
  void aVolumeInUseIsRemovedOnlyByForceAndANewOneInItsPlaceReadsZeros() throws Exception {
    await(blades.rackshare(1).createVolume(new VolumeRequest("temp", "raid1", 2 * MIB, 2, 0, 0, Map.of()), T));
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "write -P 0x77 0 2M", uri(1, "temp")).ok();
    // An NBD client of blade 2 holds the volume open.
    Process client = new ProcessBuilder("/usr/bin/python3", "-c", """
        import nbd, sys, time
        h = nbd.NBD()
        h.connect_uri(sys.argv[1])
        print("connected", flush=True)
        time.sleep(120)
        """, uri(2, "temp")).redirectErrorStream(true).start();
    try {
      blades.kit(2).createTestProbe().awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(50), () -> {
        assertEquals(1, blades.rackshare(2).nbdServer().orElseThrow().clientsOf("temp"), "the client is connected");
        return null;
      });
      ExecutionException refused = assertThrows(ExecutionException.class,
          () -> await(blades.rackshare(3).removeVolume("temp", false, T)));
      assertTrue(refused.getCause().getMessage().contains("has NBD clients ({Rack(1)/Chassis(1)/Blade(2)=1})"),
          refused.getCause().getMessage());
      assertTrue(blades.rackshare(3).localMap().volume("temp").isPresent(), "nothing removed");
      await(blades.rackshare(3).removeVolume("temp", true, T));
    } finally {
      client.destroyForcibly();
    }
    var probe = blades.kit(1).createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(10), Duration.ofMillis(50), () -> {
      for (int slot = 1; slot <= 3; slot++) {
        assertTrue(blades.rackshare(slot).localMap().volume("temp").isEmpty(), "removed on blade " + slot);
      }
      return null;
    });
    ExecutionException gone = assertThrows(ExecutionException.class,
        () -> await(blades.rackshare(1).removeVolume("temp", true, T)));
    assertTrue(gone.getCause().getMessage().contains("no volume 'temp'"), gone.getCause().getMessage());
    // The same name again, on extents that held 0x77: zeros.
    await(blades.rackshare(2).createVolume(new VolumeRequest("temp", "raid1", 2 * MIB, 2, 0, 0, Map.of()), T));
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "read -P 0 0 2M", uri(3, "temp")).ok();
  }

  @Test
  void aPoolTooSmallOrANameTakenIsAClearErrorAndPlacesNothing() throws Exception {
    ExecutionException e = assertThrows(ExecutionException.class, () -> await(blades.rackshare(1).createVolume(
        new VolumeRequest("huge", "raid1", 64 * MIB, 2, 0, 0, Map.of()), T)));
    IllegalArgumentException why = assertInstanceOf(IllegalArgumentException.class, e.getCause());
    assertTrue(why.getMessage().contains("the pool cannot hold raid1 'huge'"), why.getMessage());
    assertTrue(blades.rackshare(1).localMap().volume("huge").isEmpty());
    e = assertThrows(ExecutionException.class, () -> await(blades.rackshare(1).createVolume(
        new VolumeRequest("four", "raid1", MIB, 4, 0, 0, Map.of()), T)));
    assertTrue(e.getCause().getMessage().contains("needs 4 disk(s) in different blades"), e.getCause().getMessage());
  }

  @Test
  void theManagementEndpointCreatesVolumesForTheOperatorOnly() throws Exception {
    String url = blades.rackshare(3).managementUrl().orElseThrow();
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest.Builder post = HttpRequest.newBuilder(URI.create(url + "/volumes?name=web&layout=raid1&size=2M&copies=2"))
        .POST(HttpRequest.BodyPublishers.noBody());
    HttpResponse<String> refused = http.send(post.build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(401, refused.statusCode(), refused.body());
    assertTrue(blades.rackshare(3).localMap().volume("web").isEmpty(), "nothing placed without the token");
    String token = blades.rackshare(3).operatorToken().orElseThrow().value();
    HttpResponse<String> made = http.send(post.header("Authorization", "Bearer " + token).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, made.statusCode(), made.body());
    assertTrue(made.body().contains("\"volume\" : \"web\"") && made.body().contains("Part("), made.body());
    HttpResponse<String> bad = http.send(HttpRequest.newBuilder(URI.create(url + "/volumes?name=x&layout=raid1&size=lots"))
        .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(400, bad.statusCode());
    assertTrue(bad.body().contains("size: a number of bytes"), bad.body());
    Tool.run(T, "qemu-io", "-f", "raw", "-c", "write -P 7 0 2M", "-c", "read -P 7 0 2M", uri(2, "web")).ok();
    List<String> exports = Arrays.asList(Tool.run(T, "nbdinfo", "--list", "--json",
        "nbd://127.0.0.1:" + blades.rackshare(2).nbdServer().orElseThrow().tcpAddress().getPort()).ok().out().split("\""));
    assertTrue(exports.contains("web"), "listed as an NBD export");
  }
}
