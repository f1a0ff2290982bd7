package io.rackshare.access;

import io.rackshare.map.BladeId;
import io.rackshare.smm.DataLane;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * manager-proxy routing (Figure 8b, 0085): every volume request goes whole to the blade that runs
 * the manager, which routes it with its map ({@link ProxyTarget}); this blade's own copy of the
 * map only gives the exports their sizes. While there is no manager (a failover) requests wait,
 * and fail with {@link IoError#UNAVAILABLE} after {@code rackshare.access.proxy-timeout}. A
 * request whose manager's blade went away is sent again to the next one: reads and writes of a
 * block device are idempotent.
 */
final class ProxyPath implements VolumeIo {
  private static final long FIRST_BACKOFF_MILLIS = 20;
  private static final long MAX_BACKOFF_MILLIS = 500;

  private final BladeId self;
  private final Supplier<Optional<BladeId>> manager;
  private final ProxyTarget local;
  private final DataLane lane;
  private final Duration timeout;
  private final ScheduledExecutorService timer;

  ProxyPath(BladeId self, Supplier<Optional<BladeId>> manager, ProxyTarget local, DataLane lane, Duration timeout,
      ScheduledExecutorService timer) {
    this.self = self;
    this.manager = manager;
    this.local = local;
    this.lane = lane;
    this.timeout = timeout;
    this.timer = timer;
  }

  @Override
  public CompletableFuture<ByteBuffer> readBuffer(String volume, long offset, int length) {
    return call(() -> BlockFrames.proxy(BlockFrames.READ, volume, offset, length, false, null))
        .thenApply(DataLane.Frame::payload);
  }

  @Override
  public void release(ByteBuffer b) {
    lane.release(b);
  }

  @Override
  public CompletableFuture<Void> write(String volume, long offset, ByteBuffer data, boolean fua) {
    ByteBuffer d = data.slice();
    return call(() -> BlockFrames.proxy(BlockFrames.WRITE, volume, offset, d.remaining(), fua, d.duplicate()))
        .thenApply(f -> null);
  }

  @Override
  public CompletableFuture<Void> writeZeroes(String volume, long offset, long length, boolean fua) {
    return call(() -> BlockFrames.proxy(BlockFrames.ZERO, volume, offset, length, fua, null)).thenApply(f -> null);
  }

  @Override
  public CompletableFuture<Void> flush(String volume) {
    return call(() -> BlockFrames.proxy(BlockFrames.FLUSH, volume, 0, 0, false, null)).thenApply(f -> null);
  }

  private CompletableFuture<DataLane.Frame> call(Supplier<DataLane.Frame> frame) {
    CompletableFuture<DataLane.Frame> out = new CompletableFuture<>();
    attempt(frame, System.nanoTime() + timeout.toNanos(), FIRST_BACKOFF_MILLIS, out);
    return out;
  }

  private void attempt(Supplier<DataLane.Frame> frame, long deadline, long backoff,
      CompletableFuture<DataLane.Frame> out) {
    Optional<BladeId> m = manager.get();
    if (m.isEmpty()) {
      again(frame, deadline, backoff, "no manager known", out);
      return;
    }
    CompletableFuture<DataLane.Frame> reply = m.get().equals(self)
        ? local.handle(self, frame.get())
        : lane.request(m.get(), frame.get(), DataLane.Tier.PROXIED);
    reply.whenComplete((f, failure) -> {
      if (failure != null) {
        // The manager's blade is gone or did not answer: the next manager will.
        again(frame, deadline, backoff, m.get() + ": " + BlockDeviceException.cause(failure).getMessage(), out);
      } else if (f.type() == BlockFrames.WRONG_TARGET) {
        again(frame, deadline, backoff, BlockFrames.message(f), out);
      } else if (f.type() == BlockFrames.DATA || f.type() == BlockFrames.DONE) {
        out.complete(f);
      } else {
        out.completeExceptionally(BlockFrames.failure(f));
      }
    });
  }

  private void again(Supplier<DataLane.Frame> frame, long deadline, long backoff, String why,
      CompletableFuture<DataLane.Frame> out) {
    if (System.nanoTime() - deadline >= 0) {
      out.completeExceptionally(new BlockDeviceException(IoError.UNAVAILABLE,
          "manager-proxy routing: no manager served the request within " + timeout + " (" + why + ")"));
      return;
    }
    timer.schedule(() -> attempt(frame, deadline, Math.min(MAX_BACKOFF_MILLIS, backoff * 2), out),
        backoff, TimeUnit.MILLISECONDS);
  }
}
