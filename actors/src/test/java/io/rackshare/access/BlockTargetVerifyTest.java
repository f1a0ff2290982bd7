package io.rackshare.access;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.driver.BlockStore;
import io.rackshare.io.DirectBufferPool;
import io.rackshare.layout.Layouts;
import io.rackshare.layout.Raid1Layout;
import io.rackshare.layout.ReadPiece;
import io.rackshare.layout.WritePiece;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.DeviceSegment;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.map.Member;
import io.rackshare.map.ResourceConfig;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.map.VolumeSpec;
import io.rackshare.smm.DataLane;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The target side's verify (Figure 7, block 714) against a device in memory: a request is served
 * only for the map epoch this blade holds, on its own device, at the place the layout puts it,
 * on a member in a state that may be read or written; anything else is answered "wrong target"
 * with a resync request, and the device is untouched.
 */
class BlockTargetVerifyTest {

  static final BladeId SELF = new BladeId(1, 1, 2);
  static final BladeId OTHER = new BladeId(1, 1, 3);
  static final DevicePath MINE = DevicePath.disk(SELF, 0);
  static final DevicePath THEIRS = DevicePath.disk(OTHER, 0);
  static final int BS = 4096;
  static final long BLOCKS = 64;

  /** A block device in memory. */
  static class MemoryStore implements BlockStore {
    final byte[] bytes = new byte[(int) (BS * BLOCKS)];

    @Override
    public long size() {
      return bytes.length;
    }

    @Override
    public synchronized byte[] read(long offset, int length) {
      return Arrays.copyOfRange(bytes, (int) offset, (int) offset + length);
    }

    @Override
    public synchronized void write(long offset, ByteBuffer data, boolean fua) {
      data.duplicate().get(bytes, (int) offset, data.remaining());
    }

    @Override
    public synchronized void writeZeroes(long offset, long length, boolean fua) {
      Arrays.fill(bytes, (int) offset, (int) (offset + length), (byte) 0);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }

  final MemoryStore store = new MemoryStore();
  final AtomicReference<GlobalResourceMap> map = new AtomicReference<>();
  final List<String> resyncs = new ArrayList<>();
  final BlockTarget target;
  final GlobalResourceDescriptor v;

  BlockTargetVerifyTest() {
    List<ResourceDescriptor> members = List.of(
        new ResourceDescriptor(MINE, new ResourceConfig.Block(BS, BLOCKS)),
        new ResourceDescriptor(THEIRS, new ResourceConfig.Block(BS, BLOCKS)));
    v = new Raid1Layout().build(new VolumeSpec("m", Raid1Layout.NAME, List.of(MINE, THEIRS), Map.of()),
        members, List.of(), 5);
    map.set(new GlobalResourceMap(5, Map.of("m", v)));
    target = new BlockTarget(SELF, map::get, Layouts.of(new Raid1Layout()), Parts.of(SELF, Map.of(MINE, store)), Runnable::run,
        (volume, epoch, reason) -> resyncs.add(volume + "@" + epoch + ": " + reason), new DirectBufferPool(1 << 20, 2),
        new RangeLocks(), null, new DirtyRegions(SELF, Map.of(MINE, store.size()), 1 << 20, Duration.ofSeconds(60)));
  }

  /** The segment of {@code [offset, offset + n)} on {@code device}, as the layout writes it. */
  DeviceSegment segment(GlobalResourceDescriptor d, DevicePath device, long offset, int n) {
    WritePiece.Copies c = (WritePiece.Copies) new Raid1Layout().writes(d, offset, n).get(0);
    List<DeviceSegment> all = new ArrayList<>(c.inSync());
    all.addAll(c.rebuilding());
    return all.stream().filter(s -> s.device().equals(device)).findFirst().orElseThrow();
  }

  DataLane.Frame send(DataLane.Frame f) throws Exception {
    return target.handle(OTHER, f).toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  DataLane.Frame write(long epoch, DeviceSegment s, byte fill) throws Exception {
    byte[] data = new byte[s.length()];
    Arrays.fill(data, fill);
    return send(BlockFrames.segment(BlockFrames.WRITE, "m", epoch, s, false, ByteBuffer.wrap(data)));
  }

  void assertWrong(DataLane.Frame reply, String contains) {
    assertEquals(BlockFrames.WRONG_TARGET, reply.type(), BlockFrames.message(reply));
    assertTrue(BlockFrames.message(reply).contains(contains), BlockFrames.message(reply));
  }

  @Test
  void theRightSegmentAtTheRightEpochIsServed() throws Exception {
    DeviceSegment s = segment(v, MINE, 8192, 4096);
    assertEquals(BlockFrames.DONE, write(5, s, (byte) 7).type());
    byte[] expected = new byte[4096];
    Arrays.fill(expected, (byte) 7);
    assertArrayEquals(expected, store.read(s.deviceOffset(), 4096));
    assertEquals(List.of(), resyncs);
  }

  @Test
  void anotherEpochAnotherBladesDeviceOrAnotherPlaceIsAWrongTargetAndWritesNothing() throws Exception {
    DeviceSegment s = segment(v, MINE, 8192, 4096);
    assertWrong(write(4, s, (byte) 1), "request epoch 4, this blade's epoch 5");
    assertWrong(write(6, s, (byte) 1), "request epoch 6");
    assertWrong(write(5, segment(v, THEIRS, 8192, 4096), (byte) 1), "is not a device of");
    // The right device, but bytes the layout keeps elsewhere on it.
    DeviceSegment shifted = new DeviceSegment(MINE, s.deviceOffset() + 4096, s.volumeOffset(), 4096);
    assertWrong(write(5, shifted, (byte) 1), "are not at");
    assertWrong(send(BlockFrames.segment(BlockFrames.WRITE, "nope", 5, s, false, ByteBuffer.allocate(4096))),
        "no volume 'nope'");
    assertEquals(5, resyncs.size(), "every wrong target asks the manager to resynchronise: " + resyncs);
    assertArrayEquals(new byte[store.bytes.length], store.bytes, "nothing was written");
  }

  @Test
  void aFailedCopyIsNeitherReadNorWrittenABeingRebuiltOneIsOnlyWritten() throws Exception {
    GlobalResourceDescriptor failed = v.withMember(0, v.member(0).with(Member.State.FAILED, 6), 6);
    map.set(new GlobalResourceMap(6, Map.of("m", failed)));
    DeviceSegment s = segment(v, MINE, 0, 4096);
    assertWrong(write(6, s, (byte) 2), "on a member written");
    assertWrong(send(BlockFrames.segment(BlockFrames.READ, "m", 6, s, false, null)), "on a member read");

    GlobalResourceDescriptor rebuilding = failed.withMember(0, failed.member(0).with(Member.State.REBUILDING, 7), 7);
    map.set(new GlobalResourceMap(7, Map.of("m", rebuilding)));
    DeviceSegment r = segment(rebuilding, MINE, 0, 4096);
    assertEquals(BlockFrames.DONE, write(7, r, (byte) 3).type(), "a copy being rebuilt takes new writes");
    assertWrong(send(BlockFrames.segment(BlockFrames.READ, "m", 7, r, false, null)), "on a member read");
    // The in-sync copy is read, on its own blade, as the layout plans it.
    ReadPiece p = new Raid1Layout().reads(rebuilding, 0, 4096, SELF).get(0);
    assertEquals(THEIRS, ((ReadPiece.Direct) p).segment().device());
  }

  @Test
  void aLocalReadRunsOnItsCallersThreadOnlyWhenTheCallerAsks() throws Exception {
    java.util.concurrent.ExecutorService io = java.util.concurrent.Executors.newSingleThreadExecutor(
        r -> new Thread(r, "test-io-dispatcher"));
    try {
      BlockTarget t = new BlockTarget(SELF, map::get, Layouts.of(new Raid1Layout()), Parts.of(SELF, Map.of(MINE, store)), io,
          (volume, epoch, reason) -> { }, new DirectBufferPool(1 << 20, 2), new RangeLocks(), null,
          new DirtyRegions(SELF, Map.of(MINE, store.size()), 1 << 20, Duration.ofSeconds(60)));
      store.bytes[0] = 42;
      DataLane.Frame read = BlockFrames.segment(BlockFrames.READ, "m", 5, segment(v, MINE, 0, 4096), false, null);
      java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
      io.execute(() -> {
        try {
          held.await(); // the I/O dispatcher is busy: only the caller's own thread can serve now
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      var inline = CallerRuns.call(() -> t.handle(SELF, read).toCompletableFuture());
      assertTrue(inline.isDone(), "served on the caller's thread");
      assertEquals(42, inline.get().payload().get(0));
      var handedOff = t.handle(SELF, read).toCompletableFuture();
      assertTrue(!handedOff.isDone(), "without the hint the read waits for the I/O dispatcher");
      // A request from another blade never runs on the caller's thread (a lane reader's).
      var remote = CallerRuns.call(() -> t.handle(OTHER, read).toCompletableFuture());
      assertTrue(!remote.isDone());
      held.countDown();
      assertEquals(42, handedOff.get(5, TimeUnit.SECONDS).payload().get(0));
      assertEquals(BlockFrames.DATA, remote.get(5, TimeUnit.SECONDS).type());
    } finally {
      io.shutdownNow();
    }
  }

  @Test
  void aMalformedFrameIsAnsweredNotThrown() throws Exception {
    DataLane.Frame bad = new DataLane.Frame(BlockFrames.WRITE,
        ByteBuffer.wrap("garbage".getBytes(StandardCharsets.UTF_8)), ByteBuffer.allocate(0));
    DataLane.Frame reply = send(bad);
    assertTrue(BlockFrames.message(reply).contains("malformed"), BlockFrames.message(reply));
    assertArrayEquals(new byte[store.bytes.length], store.bytes);
  }
}
