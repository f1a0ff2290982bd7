package io.rackshare.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.access.BlockDevice;
import io.rackshare.layout.Health;
import io.rackshare.map.BladeId;
import io.rackshare.map.Extent;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.map.Member;
import io.rackshare.map.Part;
import io.rackshare.map.VolumeRequest;
import io.rackshare.testkit.TestBlades;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Draining a blade (issue 15): four blades pool one disk each; a 3-copy mirror, a raid5 and a
 * span live on the pool, and a writer per volume writes random blocks and reads them back the
 * whole time. Blade X, which holds a member of each, is drained: every member moves to other
 * blades while the writers go on without an error, the copies hold exactly what the writers
 * wrote, and once X holds nothing it stops without any volume degrading.
 */
class DrainClusterTest {
  static final Duration T = Duration.ofSeconds(60);
  static final int MIB = 1 << 20;
  static final String DISK = "[{ file = disk0.img, size = 32MiB, block-size = 4096 }]";

  @TempDir static Path root;
  static TestBlades blades;

  @BeforeAll
  static void start() throws Exception {
    blades = new TestBlades(root, """
        rackshare.pool.extent-size = 1MiB
        rackshare.manager.offline-retry = 200ms
        """);
    for (int slot = 1; slot <= 4; slot++) blades.start(slot, DISK);
  }

  @AfterAll
  static void stop() {
    blades.close();
  }

  static <T> T await(java.util.concurrent.CompletionStage<T> s) throws Exception {
    return s.toCompletableFuture().get(T.toSeconds(), TimeUnit.SECONDS);
  }

  /** Writes random 4-64 KiB pieces at random places of {@code device} and reads each back, keeping what it holds. */
  static final class Writer {
    final BlockDevice device;
    final byte[] model;
    final AtomicInteger writes = new AtomicInteger();
    final Random random;

    Writer(BlockDevice device, int size, long seed) {
      this.device = device;
      this.model = new byte[size];
      this.random = new Random(seed);
    }

    void run(AtomicBoolean stop) throws Exception {
      while (!stop.get() || writes.get() < 20) {
        int n = 4096 * (1 + random.nextInt(16));
        int at = 4096 * random.nextInt((model.length - n) / 4096 + 1);
        byte[] data = new byte[n];
        random.nextBytes(data);
        await(device.write(at, data, random.nextInt(8) == 0));
        System.arraycopy(data, 0, model, at, n);
        int back = 4096 * random.nextInt(model.length / 4096 - 15);
        assertArrayEquals(java.util.Arrays.copyOfRange(model, back, back + 64 * 1024),
            await(device.read(back, 64 * 1024)), device.name() + " at " + back + " after " + writes.get() + " writes");
        writes.incrementAndGet();
      }
    }
  }

  @Test
  void aDrainedBladesMembersMoveWhileWritersGoOnAndItLeavesWithNoVolumeDegraded() throws Exception {
    List<VolumeRequest> requests = List.of(
        // Copied no faster than 1 MiB/s, so that the writers write all through the moves.
        new VolumeRequest("mirror", "raid1", 4 * MIB, 3, 0, 0, Map.of("rebuild-rate", "1MiB")),
        new VolumeRequest("parity", "raid5", 4 * MIB, 0, 3, 0, Map.of("rebuild-rate", "1MiB")),
        new VolumeRequest("span", "span", 4 * MIB, 0, 2, 0, Map.of()));
    for (VolumeRequest r : requests) await(blades.rackshare(1).createVolume(r, T));
    // A blade that holds a member of the span and of the most other volumes; not blade 1, the manager's.
    GlobalResourceMap map = blades.rackshare(1).localMap();
    BladeId leaving = null;
    int most = -1;
    for (int slot = 2; slot <= 4; slot++) {
      BladeId b = blades.rackshare(slot).settings().blade();
      int held = map.heldBy(b).size() + (map.heldBy(b).stream().anyMatch(h -> h.startsWith("span:")) ? 10 : 0);
      if (held > most) {
        most = held;
        leaving = b;
      }
    }
    assertTrue(map.heldBy(leaving).size() >= 2 && most >= 10, "the blade holds members of several volumes, the span's"
        + " among them: " + map.heldBy(leaving));

    List<Writer> writers = new ArrayList<>();
    for (VolumeRequest r : requests) {
      writers.add(new Writer(await(blades.rackshare(1).awaitVolume(r.name(), T)), 4 * MIB, r.name().hashCode()));
    }
    AtomicBoolean stop = new AtomicBoolean();
    List<CompletableFuture<Void>> running = new ArrayList<>();
    for (Writer w : writers) {
      running.add(CompletableFuture.runAsync(() -> {
        try {
          w.run(stop);
        } catch (Exception e) {
          throw new java.util.concurrent.CompletionException(e);
        }
      }));
    }
    // Let the writers get going, then drain.
    for (Writer w : writers) {
      long deadline = System.nanoTime() + T.toNanos();
      while (w.writes.get() < 5 && System.nanoTime() < deadline) Thread.onSpinWait();
    }
    var answer = await(blades.rackshare(3).drainBlade(leaving, true));
    assertTrue(answer.draining());
    assertFalse(answer.moving().isEmpty(), "moves under way: " + answer);

    // While the mirror moves (1 MiB/s), the status and /metrics of any blade show how far it is.
    BladeId gone = leaving;
    long deadline = System.nanoTime() + T.toNanos();
    String moving = null;
    while (moving == null) {
      assertTrue(System.nanoTime() < deadline, "no move progress shown");
      var status = await(blades.rackshare(2).status());
      var mirror = status.volumes().stream().filter(v -> v.name().equals("mirror")).findFirst().orElseThrow();
      if (!mirror.moves().isEmpty() && mirror.moves().get(0).doneBytes() > 0) {
        var m = mirror.moves().get(0);
        assertTrue(m.from().startsWith(gone.toString()) && m.totalBytes() == 4L * MIB && m.percent() < 100, m.toString());
        assertEquals(List.of(gone.toString()), status.drains().stream().map(d -> d.blade()).toList());
        moving = m.from() + "\",to=\"" + m.to();
      }
      Thread.sleep(50); // polling the status; the moves run on their own
    }
    String metrics = await(blades.rackshare(2).metricsText());
    assertTrue(metrics.contains("rackshare_move_total_bytes{from=\"" + moving + "\",volume=\"mirror\"} 4194304"),
        metrics);
    assertTrue(metrics.contains("rackshare_blade_drain_held{blade=\"" + gone + "\"}"), metrics);

    // The drain is done when no volume holds anything on the blade.
    while (!blades.rackshare(1).localMap().heldBy(gone).isEmpty()) {
      assertTrue(System.nanoTime() < deadline, "still held: " + blades.rackshare(1).localMap().heldBy(gone));
      for (CompletableFuture<Void> f : running) {
        if (f.isCompletedExceptionally()) f.join(); // a writer's error, at once
      }
      Thread.sleep(50); // polling the map; the moves run on their own
    }
    stop.set(true);
    for (CompletableFuture<Void> f : running) f.get(60, TimeUnit.SECONDS);

    GlobalResourceMap after = blades.rackshare(1).localMap();
    blades.awaitMapEpoch(2, after.epoch());
    for (Writer w : writers) {
      GlobalResourceDescriptor v = after.volumes().get(w.device.name());
      assertTrue(v.moves().isEmpty(), v.name() + " has no move left");
      assertEquals(Health.Status.OPTIMAL, blades.rackshare(1).settings().layouts().get(v.layout()).health(v).status(),
          v.name());
      for (Member m : v.members()) assertFalse(m.blade().equals(gone), v.name() + ": " + m);
      for (Part p : v.parts()) assertFalse(p.path().blade().equals(gone), v.name() + ": " + p);
      assertArrayEquals(w.model, await(w.device.read(0, 4 * MIB)), v.name() + " reads what was written");
      assertTrue(w.writes.get() >= 20, v.name() + ": " + w.writes.get() + " writes");
    }
    // Each copy of the mirror holds exactly that, the moved one included.
    GlobalResourceDescriptor mirror = after.volumes().get("mirror");
    for (Part p : mirror.parts()) {
      assertArrayEquals(writers.get(0).model, onDisk(p, mirror.blockSize()), p.path() + " on " + p.disk());
    }

    // The raid5's parity is right on every member, the moved one included: with a member that was
    // not moved failed, every byte reads back rebuilt from the others.
    GlobalResourceDescriptor parity = after.volumes().get("parity");
    io.rackshare.map.DevicePath stays = parity.members().stream().map(Member::device)
        .filter(d -> d.blade().slot() != 1 && !after.volumes().get("mirror").devices().contains(d))
        .findFirst().orElse(parity.member(0).device());
    await(blades.rackshare(1).failMember("parity", stays));
    assertArrayEquals(writers.get(1).model, await(writers.get(1).device.read(0, 4 * MIB)),
        "parity read degraded (without " + stays + ")");

    // It may leave now: no volume degrades, and they serve what they held.
    blades.stop(gone.slot());
    deadline = System.nanoTime() + T.toNanos();
    while (blades.rackshare(1).status().toCompletableFuture().get(10, TimeUnit.SECONDS).blades().contains(gone.toString())) {
      assertTrue(System.nanoTime() < deadline, "the drained blade is still listed");
      Thread.sleep(100);
    }
    GlobalResourceMap last = blades.rackshare(1).localMap();
    for (Writer w : writers) {
      GlobalResourceDescriptor v = last.volumes().get(w.device.name());
      if (v.name().equals("parity")) continue; // a member failed above, on purpose
      assertEquals(Health.Status.OPTIMAL, blades.rackshare(1).settings().layouts().get(v.layout()).health(v).status(),
          v.name() + " after the drained blade left: " + v.members());
      assertArrayEquals(w.model, await(w.device.read(0, 4 * MIB)), v.name());
    }
    assertArrayEquals(writers.get(1).model, await(writers.get(1).device.read(0, 4 * MIB)), "parity, degraded");
  }

  /** The bytes of {@code part} as they lie on its blade's disk file, extent after extent. */
  static byte[] onDisk(Part part, int blockSize) throws Exception {
    byte[] out = new byte[(int) (part.blocks() * blockSize)];
    try (RandomAccessFile f = new RandomAccessFile(blades.dataDir(part.path().blade().slot()).resolve("disk0.img")
        .toFile(), "r")) {
      for (Extent e : part.extents()) {
        f.seek(e.deviceBlock() * blockSize);
        f.readFully(out, (int) (e.volumeBlock() * blockSize), (int) (e.blockCount() * blockSize));
      }
    }
    return out;
  }
}
