package io.rackshare.access;

import io.rackshare.map.GlobalResourceDescriptor;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * The {@link BlockDevice} of one volume, over this blade's routing ({@link VolumeIo}). A read-only
 * volume refuses writes here, before they go anywhere; a removable medium's device serves the
 * medium it was opened on ({@code medium}, its incarnation) and nothing else: a request that ends
 * after the blade's map shows another medium, or none, fails ({@link IoError#MEDIUM_CHANGED}),
 * whatever it read. Once the blade's access path has closed (its system shut down), every request
 * fails ({@link IoError#UNAVAILABLE}) at once.
 */
final class Volume implements BlockDevice {
  private final String name;
  private final Supplier<GlobalResourceDescriptor> descriptor;
  private final VolumeIo path;
  private final boolean readOnly;
  private final String medium;
  private final java.util.function.BooleanSupplier closed;

  Volume(String name, Supplier<GlobalResourceDescriptor> descriptor, VolumeIo path) {
    this(name, descriptor, path, false, null, () -> false);
  }

  Volume(String name, Supplier<GlobalResourceDescriptor> descriptor, VolumeIo path, boolean readOnly, String medium,
      java.util.function.BooleanSupplier closed) {
    this.name = name;
    this.descriptor = descriptor;
    this.path = path;
    this.readOnly = readOnly;
    this.medium = medium;
    this.closed = closed;
  }

  @Override
  public boolean readOnly() {
    return readOnly;
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
    return same(plain(() -> path.read(name, offset, length)), null);
  }

  @Override
  public CompletionStage<java.nio.ByteBuffer> readBuffer(long offset, int length) {
    return same(plain(() -> path.readBuffer(name, offset, length)), path::release);
  }

  @Override
  public void release(java.nio.ByteBuffer buffer) {
    path.release(buffer);
  }

  @Override
  public CompletionStage<Void> write(long offset, java.nio.ByteBuffer data, boolean fua) {
    if (readOnly) return refused();
    return plain(() -> path.write(name, offset, data, fua));
  }

  @Override
  public CompletionStage<Void> writeZeroes(long offset, long length, boolean fua) {
    if (readOnly) return refused();
    return plain(() -> path.writeZeroes(name, offset, length, fua));
  }

  @Override
  public CompletionStage<Void> flush() {
    // Nothing was written to a read-only volume: nothing to force.
    if (readOnly) return CompletableFuture.completedFuture(null);
    return plain(() -> path.flush(name));
  }

  @Override
  public CompletionStage<Allocation> allocated(long offset, long length) {
    return same(plain(() -> path.allocated(name, offset, length)), null);
  }

  private <T> CompletionStage<T> refused() {
    return CompletableFuture.failedFuture(new BlockDeviceException(IoError.READ_ONLY,
        "volume '" + name + "' is read-only" + (medium != null ? " (a removable medium)" : "")));
  }

  /**
   * {@code result}, if the medium this device was opened on is still the one in the map when it
   * completes (always, for other volumes); otherwise a failure, giving back what was read ({@code
   * giveBack}).
   */
  private <T> CompletionStage<T> same(CompletionStage<T> result, java.util.function.Consumer<T> giveBack) {
    if (medium == null) return result;
    return result.thenCompose(v -> {
      GlobalResourceDescriptor d = descriptor.get();
      if (d != null && medium.equals(d.member(0).incarnation())) return CompletableFuture.completedFuture(v);
      if (giveBack != null) giveBack.accept(v);
      return CompletableFuture.failedFuture(new BlockDeviceException(IoError.MEDIUM_CHANGED,
          "the medium of '" + name + "' was " + (d == null ? "ejected" : "changed") + " since it was opened"));
    });
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

  /**
   * Starts a request on the access path; failures surface as the {@link BlockDeviceException}
   * itself, not wrapped. A request on a closed access path (or one closing meanwhile, whose
   * executors refuse it) fails as unavailable.
   */
  private <T> CompletionStage<T> plain(Supplier<CompletableFuture<T>> request) {
    CompletableFuture<T> f;
    try {
      if (closed.getAsBoolean()) return CompletableFuture.failedFuture(stopped());
      f = request.get();
    } catch (java.util.concurrent.RejectedExecutionException e) {
      return CompletableFuture.failedFuture(stopped());
    }
    return f.handle((v, t) -> {
      if (t == null) return CompletableFuture.completedFuture(v);
      return CompletableFuture.<T>failedFuture(BlockDeviceException.cause(t));
    }).thenCompose(x -> x);
  }

  private BlockDeviceException stopped() {
    return new BlockDeviceException(IoError.UNAVAILABLE,
        "volume '" + name + "': this blade's Rackshare has stopped (its actor system shut down)");
  }

  @Override
  public String toString() {
    return "BlockDevice(" + name + ", " + size() + " bytes)";
  }
}
