package io.rackshare.access;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.io.DirectBufferPool;
import io.rackshare.layout.Layouts;
import io.rackshare.layout.Raid1Layout;
import io.rackshare.map.DeviceSegment;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.smm.DataLane;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A rebuild's or a move's copy reads its source only after the writes the source admitted under
 * an older map epoch are stored: such a write does not reach the copy's target (it was planned
 * before the copy existed), so a copy that read the range before the write landed would leave the
 * target without it. A FUA write (stored on an I/O thread) is held in the store here while the
 * map moves on and the copy asks.
 */
class CopyReadsWaitForOlderWritesTest {

  final ExecutorService io = Executors.newCachedThreadPool();
  final CountDownLatch storing = new CountDownLatch(1);
  final CountDownLatch release = new CountDownLatch(1);

  @AfterEach
  void stop() {
    release.countDown();
    io.shutdownNow();
  }

  /** A device in memory whose FUA writes wait for {@code release}. */
  final class HeldStore extends BlockTargetVerifyTest.MemoryStore {
    @Override
    public void write(long offset, ByteBuffer data, boolean fua) {
      if (fua) {
        storing.countDown();
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      super.write(offset, data, fua);
    }
  }

  @Test
  void aCopysReadWaitsForAnOlderEpochsWriteAndReadsItsBytes() throws Exception {
    BlockTargetVerifyTest base = new BlockTargetVerifyTest();
    HeldStore store = new HeldStore();
    BlockTarget target = new BlockTarget(BlockTargetVerifyTest.SELF, base.map::get, Layouts.of(new Raid1Layout()),
        Parts.of(BlockTargetVerifyTest.SELF, Map.of(BlockTargetVerifyTest.MINE, store)), io,
        (volume, epoch, reason) -> { }, new DirectBufferPool(1 << 20, 2), new RangeLocks(), null,
        new DirtyRegions(BlockTargetVerifyTest.SELF, Map.of(BlockTargetVerifyTest.MINE, store.size()), 1 << 20,
            Duration.ofSeconds(60)));
    DeviceSegment s = base.segment(base.v, BlockTargetVerifyTest.MINE, 8192, 4096);
    byte[] data = new byte[4096];
    Arrays.fill(data, (byte) 0x5a);

    // A client's FUA write under epoch 5, admitted and being stored.
    CompletableFuture<DataLane.Frame> write = target.handle(BlockTargetVerifyTest.OTHER,
        BlockFrames.segment(BlockFrames.WRITE, "m", 5, s, true, ByteBuffer.wrap(data))).toCompletableFuture();
    assertTrue(storing.await(10, TimeUnit.SECONDS), "the write reached the store");
    // The map moves on (a rebuild or move starts at epoch 6) and the copy reads the range.
    base.map.set(new GlobalResourceMap(6, Map.of("m", base.v.withEpoch(6))));
    CompletableFuture<DataLane.Frame> copy = target.handle(BlockTargetVerifyTest.OTHER,
        BlockFrames.segment(BlockFrames.READ, "m", 6, s, false, null, true)).toCompletableFuture();
    // A client's read is not held; the copy's is, while the older write is in flight.
    DataLane.Frame plain = target.handle(BlockTargetVerifyTest.OTHER,
        BlockFrames.segment(BlockFrames.READ, "m", 6, s, false, null)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(BlockFrames.DATA, plain.type(), BlockFrames.message(plain));
    assertFalse(copy.isDone(), "the copy waits for the write of epoch 5");
    assertFalse(write.isDone());

    release.countDown();
    assertEquals(BlockFrames.DONE, write.get(10, TimeUnit.SECONDS).type());
    DataLane.Frame read = copy.get(10, TimeUnit.SECONDS);
    assertEquals(BlockFrames.DATA, read.type(), BlockFrames.message(read));
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    read.transfer().writeTo(java.nio.channels.Channels.newChannel(out));
    assertArrayEquals(data, out.toByteArray(), "the copy read the write's bytes");

    // With nothing older in flight, a copy's read is served without waiting.
    assertEquals(0, target.writesInFlight(BlockTargetVerifyTest.MINE));
    DataLane.Frame again = target.handle(BlockTargetVerifyTest.OTHER, BlockFrames.segment(BlockFrames.READ, "m", 6, s,
        false, null, true)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(BlockFrames.DATA, again.type(), BlockFrames.message(again));
  }
}
