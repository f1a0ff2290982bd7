package io.rackshare.access;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The rebuild's range locks: a client write waits exactly while a rebuild copies its range. */
class RangeLocksTest {

  static final DevicePath DISK = DevicePath.disk(new BladeId(1, 1, 2), 0);
  static final DevicePath OTHER = DevicePath.disk(new BladeId(1, 1, 2), 1);

  @Test
  void withoutLocksEveryRangeIsFree() {
    assertTrue(new RangeLocks().whenFree(DISK, 0, Long.MAX_VALUE / 2).isDone());
  }

  @Test
  void aWriteOverlappingARangeBeingCopiedWaitsForItsRelease() {
    RangeLocks locks = new RangeLocks();
    RangeLocks.Held held = locks.lock(DISK, 4096, 8192).join();
    CompletableFuture<Void> overlapping = locks.whenFree(DISK, 8000, 4096);
    CompletableFuture<Void> inside = locks.whenFree(DISK, 5000, 10);
    assertFalse(overlapping.isDone());
    assertFalse(inside.isDone());
    // Adjacent ranges, and other devices, do not wait.
    assertTrue(locks.whenFree(DISK, 0, 4096).isDone());
    assertTrue(locks.whenFree(DISK, 4096 + 8192, 100).isDone());
    assertTrue(locks.whenFree(OTHER, 4096, 8192).isDone());
    locks.unlock(held);
    assertTrue(overlapping.isDone());
    assertTrue(inside.isDone());
    assertTrue(locks.whenFree(DISK, 4096, 8192).isDone());
  }

  @Test
  void aSecondLockOnAnOverlappingRangeIsTakenOnlyOnceTheFirstIsReleased() {
    RangeLocks locks = new RangeLocks();
    RangeLocks.Held first = locks.lock(DISK, 0, 100).join();
    CompletableFuture<RangeLocks.Held> second = locks.lock(DISK, 50, 50);
    assertFalse(second.isDone());
    assertTrue(locks.lock(DISK, 100, 100).isDone(), "not overlapping: [0,100) and [100,200)");
    locks.unlock(first);
    assertTrue(second.isDone());
    assertFalse(locks.whenFree(DISK, 60, 1).isDone(), "the second lock holds its range now");
  }
}
