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

/** {@code rackshare pool} prints what {@code GET /pool} answers: each disk and its use, then each blade's totals. */
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
        new PoolStatus.Disk("Rack(1)/Chassis(1)/Blade(3)/Disk(0)", 64 * MIB, 512, "spare", "m", -1, "", 64 * MIB)),
        List.of(new PoolStatus.BladeTotal("Rack(1)/Chassis(1)/Blade(1)", 2, 192 * MIB, 64 * MIB, 128 * MIB, 0),
            new PoolStatus.BladeTotal("Rack(1)/Chassis(1)/Blade(2)", 1, 64 * MIB, 64 * MIB, 0, 64 * MIB),
            new PoolStatus.BladeTotal("Rack(1)/Chassis(1)/Blade(3)", 1, 64 * MIB, 64 * MIB, 0, 0)),
        320 * MIB, 192 * MIB, 128 * MIB, 64 * MIB);
    ManagementEndpoint.Operations ops = new ManagementEndpoint.Operations() {
      @Override
      public CompletionStage<BladeStatus> status() {
        return CompletableFuture.failedFuture(new IllegalStateException("not in this test"));
      }

      @Override
      public CompletionStage<Long> failMember(String volume, String device) {
        return CompletableFuture.failedFuture(new IllegalStateException("not in this test"));
      }

      @Override
      public CompletionStage<PoolStatus> pool() {
        return CompletableFuture.completedFuture(pool);
      }
    };
    binding = ManagementEndpoint.start(system, "127.0.0.1", 0, ops, OperatorToken.load(dir.resolve("token")))
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

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
        "",
        "BLADE                        DISKS       SIZE       USED       FREE     FAILED",
        "Rack(1)/Chassis(1)/Blade(1)      2    192 MiB     64 MiB    128 MiB      0 MiB",
        "Rack(1)/Chassis(1)/Blade(2)      1     64 MiB     64 MiB      0 MiB     64 MiB",
        "Rack(1)/Chassis(1)/Blade(3)      1     64 MiB     64 MiB      0 MiB      0 MiB",
        "all                                   320 MiB    192 MiB    128 MiB     64 MiB"), lines);
  }
}
