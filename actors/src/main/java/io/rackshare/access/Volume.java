package io.rackshare.access;

import io.rackshare.map.GlobalResourceDescriptor;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/** The {@link BlockDevice} of one volume, over this blade's routing ({@link VolumeIo}). */
final class Volume implements BlockDevice {
  private final String name;
  private final Supplier<GlobalResourceDescriptor> descriptor;
  private final VolumeIo path;

  Volume(String name, Supplier<GlobalResourceDescriptor> descriptor, VolumeIo path) {
    this.name = name;
    this.descriptor = descriptor;
    this.path = path;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public long size() {
    GlobalResourceDescriptor d = descriptor.get();
    return d == null ? 0 : d.sizeBytes();
  }

  @Override
  public int blockSize() {
    GlobalResourceDescriptor d = descriptor.get();
    return d == null ? 0 : d.blockSize();
  }

  @Override
  public CompletionStage<byte[]> read(long offset, int length) {
    return plain(path.read(name, offset, length));
  }

  @Override
  public CompletionStage<java.nio.ByteBuffer> readBuffer(long offset, int length) {
    return plain(path.readBuffer(name, offset, length));
  }

  @Override
  public void release(java.nio.ByteBuffer buffer) {
    path.release(buffer);
  }

  @Override
  public CompletionStage<Void> write(long offset, java.nio.ByteBuffer data, boolean fua) {
    return plain(path.write(name, offset, data, fua));
  }

  @Override
  public CompletionStage<Void> writeZeroes(long offset, long length, boolean fua) {
    return plain(path.writeZeroes(name, offset, length, fua));
  }

  @Override
  public CompletionStage<Void> flush() {
    return plain(path.flush(name));
  }

  @Override
  public CompletionStage<Allocation> allocated(long offset, long length) {
    return plain(path.allocated(name, offset, length));
  }

  /**
   * Zeros are holes punched in the member files, but a parity layout computes and writes its
   * parity for them: fast everywhere else.
   */
  @Override
  public boolean zeroIsFast() {
    GlobalResourceDescriptor d = descriptor.get();
    return d != null && !(d.layout().equals(io.rackshare.layout.Raid5Layout.NAME));
  }

  /** Failures surface as the {@link BlockDeviceException} itself, not wrapped. */
  private static <T> CompletionStage<T> plain(CompletableFuture<T> f) {
    return f.handle((v, t) -> {
      if (t == null) return CompletableFuture.completedFuture(v);
      return CompletableFuture.<T>failedFuture(BlockDeviceException.cause(t));
    }).thenCompose(x -> x);
  }

  @Override
  public String toString() {
    return "BlockDevice(" + name + ", " + size() + " bytes)";
  }
}
