package io.rackshare.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stripe coordinator's write-intent log, in the order a write uses it: durable before the
 * stripe is written, kept while it is written, forgotten only once idle, and found again after a
 * crash until its parity has been recomputed.
 */
class IntentLogTest {

  @TempDir Path dir;
  final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stop() {
    timer.shutdownNow();
  }

  String onDisk() throws Exception {
    Path f = dir.resolve(IntentLog.FILE);
    return Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8) : "";
  }

  static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("not within 10 s: " + what);
      Thread.sleep(10);
    }
  }

  @Test
  void aRegionIsOnStableStorageBeforeItsWritesAndAfterACrash() throws Exception {
    IntentLog log = new IntentLog(dir, timer, Duration.ofHours(1));
    log.begin("r5", 7);
    // begin() returned: the write may go out now, so the region must already be in the file.
    assertEquals("r5\t7\n", onDisk());
    // A crash here (no end, no close): the next start finds the region to resync.
    IntentLog after = new IntentLog(dir, timer, Duration.ofHours(1));
    assertEquals(List.of("r5"), after.dirtyVolumes());
    assertEquals(List.of(7L), after.claim("r5"));
    assertEquals(List.of(), after.claim("r5"), "claimed once");
    after.resynced("r5", 7, false);
    assertEquals(List.of("r5"), after.dirtyVolumes(), "a failed resync leaves it dirty");
    assertEquals(List.of(7L), after.claim("r5"));
    after.resynced("r5", 7, true);
    assertEquals(List.of(), after.dirtyVolumes());
  }

  @Test
  void aRegionIsForgottenOnlyWhenNoWriteIsUnderWayAndItWasIdle() throws Exception {
    IntentLog log = new IntentLog(dir, timer, Duration.ofMillis(100));
    log.begin("r5", 1);
    log.begin("r5", 1);
    log.begin("r5", 2);
    log.end("r5", 1);
    log.end("r5", 2);
    // Region 2 has no writer left: it goes once idle; region 1 still has one and stays.
    await(() -> log.dirty().equals(Set.of("r5/1")), "region 2 forgotten");
    assertEquals("r5\t1\n", onDisk());
    log.end("r5", 1);
    await(() -> log.dirty().isEmpty(), "region 1 forgotten");
    assertEquals("", onDisk());
    assertTrue(new IntentLog(dir, timer, Duration.ofHours(1)).dirtyVolumes().isEmpty());
  }

  @Test
  void aCleanStopForgetsIdleRegionsAtOnce() throws Exception {
    IntentLog log = new IntentLog(dir, timer, Duration.ofHours(1));
    log.begin("a", 3);
    log.end("a", 3);
    assertEquals("a\t3\n", onDisk(), "idle, but not for an hour");
    log.close();
    assertEquals("", onDisk());
    assertTrue(new IntentLog(dir, timer, Duration.ofHours(1)).dirtyVolumes().isEmpty());
  }
}
