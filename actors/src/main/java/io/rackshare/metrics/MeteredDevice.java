package io.rackshare.metrics;

import io.rackshare.access.BlockDevice;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletionStage;

/**
 * A filter over a {@link BlockDevice} (as nbdkit's stats filter over a plug-in) that counts each
 * request, its bytes, its errors and its time from call to completion in {@link BladeMetrics}.
 * It adds no thread: a call runs on the caller's thread as the device's would, and the counting
 * on whichever thread completes the request.
 */
public final class MeteredDevice implements BlockDevice {
  private final BlockDevice device;
  private final BladeMetrics.VolumeMeter meter;

  public MeteredDevice(BlockDevice device, BladeMetrics.VolumeMeter meter) {
    this.device = device;
    this.meter = meter;
  }

  @Override
  public String name() {
    return device.name();
  }

  @Override
  public long size() {
    return device.size();
  }

  @Override
  public int blockSize() {
    return device.blockSize();
  }

  @Override
  public CompletionStage<byte[]> read(long offset, int length) {
    return meter.time(BladeMetrics.Op.READ, length, () -> device.read(offset, length));
  }

  @Override
  public CompletionStage<ByteBuffer> readBuffer(long offset, int length) {
    return meter.time(BladeMetrics.Op.READ, length, () -> device.readBuffer(offset, length));
  }

  @Override
  public void release(ByteBuffer buffer) {
    device.release(buffer);
  }

  @Override
  public CompletionStage<Void> write(long offset, ByteBuffer data, boolean fua) {
    return meter.time(BladeMetrics.Op.WRITE, data.remaining(), () -> device.write(offset, data, fua));
  }

  @Override
  public CompletionStage<Void> writeZeroes(long offset, long length, boolean fua) {
    return meter.time(BladeMetrics.Op.WRITE_ZEROES, length, () -> device.writeZeroes(offset, length, fua));
  }

  @Override
  public CompletionStage<Void> flush() {
    return meter.time(BladeMetrics.Op.FLUSH, 0, device::flush);
  }

  @Override
  public CompletionStage<Allocation> allocated(long offset, long length) {
    return meter.time(BladeMetrics.Op.BLOCK_STATUS, 0, () -> device.allocated(offset, length));
  }

  @Override
  public boolean zeroIsFast() {
    return device.zeroIsFast();
  }

  @Override
  public boolean readOnly() {
    return device.readOnly();
  }

  @Override
  public String toString() {
    return device.toString();
  }
}
