package io.rackshare.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rackshare.management.BladeStatus;
import io.rackshare.management.ManagementEndpoint;
import io.rackshare.management.OperatorToken;
import io.rackshare.management.PoolStatus;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rackshare pool} prints what {@code GET /pool} answers: each disk and its use, then each
 * blade's totals; {@code rackshare volume create} sends its request to {@code POST /volumes} and
 * prints where the volume landed.
 */
class PoolCommandTest {
  static final long MIB = 1 << 20;

  @TempDir static Path dir;
  static ActorSystem<Void> system;
  static ServerBinding binding;

  @BeforeAll
  static void start() throws Exception {
    system = ActorSystem.create(Behaviors.empty(), "pool-test");
    PoolStatus pool = new PoolStatus(List.of(
        new PoolStatus.Disk("Rack(1)/Chassis(1)/Blade(1)/Disk(0)", 64 * MIB, 4096, "member", "m", 0, "ACTIVE", 64 * MIB),
        new PoolStatus.Disk("Rack(1)/Chassis(1)/Blade(1)/Disk(1)", 128 * MIB, 4096, "free", "", -1, "", 0),
        new PoolStatus.Disk("Rack(1)/Chassis(1)/Blade(2)/Disk(0)", 64 * MIB, 4096, "member", "m", 1, "FAILED", 64 * MIB),
        new PoolStatus.Disk("Rack(1)/Chassis(1)/Blade(3)/Disk(0)", 64 * MIB, 512, "spare", "m", -1, "", 64 * MIB),
        new PoolStatus.Disk("Rack(1)/Chassis(1)/Blade(3)/Disk(1)", 64 * MIB, 4096, "pool", "", -1, "", 24 * MIB,
            List.of(new PoolStatus.PartUse("Rack(1)/Chassis(1)/Blade(3)/Part(0)", "db", 2, "ACTIVE", 16 * MIB, true),
                new PoolStatus.PartUse("Rack(1)/Chassis(1)/Blade(3)/Part(1)", "web", 0, "ACTIVE", 8 * MIB, false)))),
        List.of(new PoolStatus.BladeTotal("Rack(1)/Chassis(1)/Blade(1)", 2, 192 * MIB, 64 * MIB, 128 * MIB, 0),
            new PoolStatus.BladeTotal("Rack(1)/Chassis(1)/Blade(2)", 1, 64 * MIB, 64 * MIB, 0, 64 * MIB),
            new PoolStatus.BladeTotal("Rack(1)/Chassis(1)/Blade(3)", 1, 64 * MIB, 64 * MIB, 0, 0)),
        320 * MIB, 192 * MIB, 128 * MIB, 64 * MIB);
    ManagementEndpoint.Operations ops = new ManagementEndpoint.Operations() {
      @Override
      public CompletionStage<BladeStatus> status() {
        // A drain of blade 3: its move half done at the first look, done at the next.
        boolean done = statusCalls.incrementAndGet() > 1;
        var members = List.of(new BladeStatus.MemberStatus(0, "Rack(1)/Chassis(1)/Blade(1)/Part(0)", "ACTIVE", 3, false),
            new BladeStatus.MemberStatus(1, done ? "Rack(1)/Chassis(1)/Blade(4)/Part(0)"
                : "Rack(1)/Chassis(1)/Blade(3)/Part(0)", "ACTIVE", 3, false));
        var moves = done ? List.<BladeStatus.MoveStatus>of() : List.of(new BladeStatus.MoveStatus(1,
            "Rack(1)/Chassis(1)/Blade(3)/Part(0)", "Rack(1)/Chassis(1)/Blade(4)/Part(0)", 50, 8 * MIB, 16 * MIB, 4, 2));
        var volume = new BladeStatus.Volume("db", "raid1", "OPTIMAL", "", 16 * MIB, 4096, 7, java.util.Map.of(), members,
            List.of(), List.of(), null, moves);
        return CompletableFuture.completedFuture(new BladeStatus("Rack(1)/Chassis(1)/Blade(1)",
            "Rack(1)/Chassis(1)/Blade(1)", List.of(), 7, "d", List.of(volume), "lowest-slot", "direct", "", "", "",
            List.of(), null, null, List.of(), null, null, List.of(new BladeStatus.DrainStatus(
                "Rack(1)/Chassis(1)/Blade(3)", done, done ? List.of() : List.of("db: Rack(1)/Chassis(1)/Blade(3)/Part(0)")))));
      }

      @Override
      public CompletionStage<java.util.Map<String, Object>> drainBlade(String blade, boolean on) {
        drains.add((on ? "drain " : "undrain ") + blade);
        return CompletableFuture.completedFuture(java.util.Map.of("blade", blade, "draining", on, "moving",
            on ? List.of("db: Rack(1)/Chassis(1)/Blade(3)/Part(0) -> Rack(1)/Chassis(1)/Blade(4)/Part(0)") : List.of()));
      }

      @Override
      public CompletionStage<java.util.Map<String, Object>> changeMedium(String drive, String image) {
        media.add(drive + (image == null ? " eject" : " insert " + image));
        if ("missing.iso".equals(image)) {
          return CompletableFuture.failedFuture(new IllegalArgumentException("no image 'missing.iso' in the media directory"));
        }
        return CompletableFuture.completedFuture(java.util.Map.of("volume", "cd0", "image", image == null ? "" : image,
            "size", image == null ? 0L : 3 * MIB));
      }

      @Override
      public CompletionStage<Long> failMember(String volume, String device) {
        return CompletableFuture.failedFuture(new IllegalStateException("not in this test"));
      }

      @Override
      public CompletionStage<PoolStatus> pool() {
        return CompletableFuture.completedFuture(pool);
      }

      @Override
      public CompletionStage<java.util.Map<String, Object>> removeVolume(String volume, boolean force) {
        grown.add("remove " + volume + (force ? " forced" : ""));
        return CompletableFuture.completedFuture(java.util.Map.of("volume", volume, "removed", true));
      }

      @Override
      public CompletionStage<java.util.Map<String, Object>> growVolume(String volume, String size) {
        grown.add(volume + " to " + size);
        return CompletableFuture.completedFuture(java.util.Map.of("volume", volume, "layout", "raid1",
            "sizeBytes", io.rackshare.map.VolumeRequest.parseSize(size), "parts", List.of()));
      }

      @Override
      public CompletionStage<java.util.Map<String, Object>> createVolume(io.rackshare.map.VolumeRequest r) {
        asked.add(r);
        if (r.name().equals("full")) return CompletableFuture.failedFuture(new IllegalArgumentException("the pool cannot hold it"));
        return CompletableFuture.completedFuture(java.util.Map.of("volume", r.name(), "layout", r.layout(),
            "sizeBytes", r.sizeBytes(), "parts", List.of(java.util.Map.of("part", "Rack(1)/Chassis(1)/Blade(2)/Part(0)",
                "role", "member 0", "disk", "Rack(1)/Chassis(1)/Blade(2)/Disk(0)", "bytes", r.sizeBytes()))));
      }
    };
    binding = ManagementEndpoint.start(system, "127.0.0.1", 0, ops, OperatorToken.load(dir.resolve("token")))
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  static final List<io.rackshare.map.VolumeRequest> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
  static final List<String> grown = new java.util.concurrent.CopyOnWriteArrayList<>();
  static final List<String> drains = new java.util.concurrent.CopyOnWriteArrayList<>();
  static final List<String> media = new java.util.concurrent.CopyOnWriteArrayList<>();
  static final java.util.concurrent.atomic.AtomicInteger statusCalls = new java.util.concurrent.atomic.AtomicInteger();

  @AfterAll
  static void stop() {
    system.terminate();
  }

  @Test
  void eachDiskWithItsUseThenEachBladesTotals() {
    CliRun run = CliRun.of("pool", "--url", ManagementEndpoint.url(binding, false));
    assertEquals(0, run.code(), run.err());
    List<String> lines = run.out().lines().map(String::strip).toList();
    assertEquals(List.of(
        "DISK                                         SIZE  BLOCK  USE",
        "Rack(1)/Chassis(1)/Blade(1)/Disk(0)        64 MiB   4096  member 0 of m (ACTIVE)",
        "Rack(1)/Chassis(1)/Blade(1)/Disk(1)       128 MiB   4096  free",
        "Rack(1)/Chassis(1)/Blade(2)/Disk(0)        64 MiB   4096  member 1 of m (FAILED)",
        "Rack(1)/Chassis(1)/Blade(3)/Disk(0)        64 MiB    512  hot spare of m",
        "Rack(1)/Chassis(1)/Blade(3)/Disk(1)        64 MiB   4096  Part(0) member 2 of db (ACTIVE, 16 MiB),"
            + " Part(1) member 0 of web (zeroing, 8 MiB); 40 MiB free",
        "",
        "BLADE                        DISKS       SIZE       USED       FREE     FAILED",
        "Rack(1)/Chassis(1)/Blade(1)      2    192 MiB     64 MiB    128 MiB      0 MiB",
        "Rack(1)/Chassis(1)/Blade(2)      1     64 MiB     64 MiB      0 MiB     64 MiB",
        "Rack(1)/Chassis(1)/Blade(3)      1     64 MiB     64 MiB      0 MiB      0 MiB",
        "all                                   320 MiB    192 MiB    128 MiB     64 MiB"), lines);
  }

  @Test
  void volumeCreateSendsItsRequestAndPrintsWhereTheVolumeLanded() {
    String url = ManagementEndpoint.url(binding, false);
    CliRun run = CliRun.of("volume", "create", "--url", url, "--token-file", dir.resolve("token").toString(),
        "--name", "db", "--layout", "raid1", "--size", "1G", "--copies", "3", "--spares", "1",
        "--option", "read-policy=primary");
    assertEquals(0, run.code(), run.err());
    assertEquals(new io.rackshare.map.VolumeRequest("db", "raid1", 1L << 30, 3, 0, 1,
        java.util.Map.of("read-policy", "primary")), asked.get(asked.size() - 1));
    assertEquals(List.of("volume db: raid1, 1.0 GiB",
        "member 0   Rack(1)/Chassis(1)/Blade(2)/Part(0)  on Rack(1)/Chassis(1)/Blade(2)/Disk(0), 1.0 GiB"),
        run.out().lines().map(String::strip).toList());
    // The manager's reason, as the endpoint's 400 carries it.
    CliRun refused = CliRun.of("volume", "create", "--url", url, "--token-file", dir.resolve("token").toString(),
        "--name", "full", "--layout", "raid1", "--size", "1G");
    assertEquals(2, refused.code(), "a clear error: exit 2");
    org.junit.jupiter.api.Assertions.assertTrue(refused.err().contains("the pool cannot hold it"), refused.err());
    // Without the operator token nothing is asked.
    int before = asked.size();
    CliRun noToken = CliRun.of("volume", "create", "--url", url, "--token-file", dir.resolve("nothing").toString(),
        "--name", "x", "--layout", "raid1", "--size", "1G");
    assertEquals(2, noToken.code());
    assertEquals(before, asked.size());
  }

  @Test
  void mediaInsertAndEjectAskTheEndpointWithTheTokenAndPrintTheDrive() {
    String url = ManagementEndpoint.url(binding, false);
    String token = dir.resolve("token").toString();
    CliRun noToken = CliRun.of("media", "eject", "--url", url, "--token-file", dir.resolve("nothing").toString(), "cd0");
    assertEquals(2, noToken.code(), "a change needs the operator token");
    CliRun insert = CliRun.of("media", "insert", "--url", url, "--token-file", token, "Rack(1)/Chassis(1)/Blade(2)/Media(0)",
        "debian.iso");
    assertEquals(0, insert.code(), insert.err());
    assertEquals("debian.iso inserted: volume cd0, 3 MiB, read-only", insert.out().strip());
    CliRun refused = CliRun.of("media", "insert", "--url", url, "--token-file", token, "cd0", "missing.iso");
    assertEquals(2, refused.code());
    org.junit.jupiter.api.Assertions.assertTrue(refused.err().contains("no image 'missing.iso'"), refused.err());
    CliRun eject = CliRun.of("media", "eject", "--url", url, "--token-file", token, "cd0");
    assertEquals(0, eject.code(), eject.err());
    assertEquals("ejected: drive of volume cd0 is empty", eject.out().strip());
    assertEquals(List.of("Rack(1)/Chassis(1)/Blade(2)/Media(0) insert debian.iso", "cd0 insert missing.iso", "cd0 eject"),
        media);
  }

  @Test
  void volumeGrowAndRemoveAskTheEndpoint() {
    CliRun run = CliRun.of("volume", "grow", "--url", ManagementEndpoint.url(binding, false), "--token-file",
        dir.resolve("token").toString(), "--name", "db", "--size", "2G");
    assertEquals(0, run.code(), run.err());
    assertEquals(List.of("db to 2G"), grown);
    assertEquals(List.of("volume db: raid1, 2.0 GiB"), run.out().lines().map(String::strip).toList());
    CliRun removed = CliRun.of("volume", "remove", "--url", ManagementEndpoint.url(binding, false), "--token-file",
        dir.resolve("token").toString(), "--name", "db", "--force");
    assertEquals(0, removed.code(), removed.err());
    assertEquals(List.of("db to 2G", "remove db forced"), grown);
    assertEquals("volume db removed", removed.out().strip());
  }

  @Test
  void bladeDrainWaitsAndPrintsItsMovesUntilTheBladeHoldsNothingThenVolumeListShowsWhereTheyAre() {
    String url = ManagementEndpoint.url(binding, false);
    String token = dir.resolve("token").toString();
    CliRun noToken = CliRun.of("blade", "drain", "--url", url, "--token-file", dir.resolve("nothing").toString(),
        "Rack(1)/Chassis(1)/Blade(3)");
    assertEquals(2, noToken.code(), "a change needs the operator token");
    CliRun run = CliRun.of("blade", "drain", "--url", url, "--token-file", token, "--wait", "Rack(1)/Chassis(1)/Blade(3)");
    assertEquals(0, run.code(), run.err());
    assertEquals(List.of("blade Rack(1)/Chassis(1)/Blade(3) is being drained; moves under way:",
        "db: Rack(1)/Chassis(1)/Blade(3)/Part(0) -> Rack(1)/Chassis(1)/Blade(4)/Part(0)",
        "db: moving Rack(1)/Chassis(1)/Blade(3)/Part(0) -> Rack(1)/Chassis(1)/Blade(4)/Part(0) [##########..........]  50.0 %",
        "blade Rack(1)/Chassis(1)/Blade(3) is drained: it holds nothing and may leave"),
        run.out().lines().map(String::strip).toList());
    assertEquals(2, statusCalls.get(), "it looked until the drain was done");
    CliRun undrain = CliRun.of("blade", "undrain", "--url", url, "--token-file", token, "Rack(1)/Chassis(1)/Blade(3)");
    assertEquals(0, undrain.code(), undrain.err());
    assertEquals(List.of("drain Rack(1)/Chassis(1)/Blade(3)", "undrain Rack(1)/Chassis(1)/Blade(3)"), drains);

    CliRun list = CliRun.of("volume", "list", "--url", url);
    assertEquals(0, list.code(), list.err());
    assertEquals(List.of("VOLUME               LAYOUT        SIZE  HEALTH    MEMBERS",
        "db                   raid1       16 MiB  OPTIMAL   [Rack(1)/Chassis(1)/Blade(1)/Part(0),"
            + " Rack(1)/Chassis(1)/Blade(4)/Part(0)]"), list.out().lines().map(String::strip).toList());
  }
}
