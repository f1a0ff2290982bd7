package io.rackshare.access;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * Volume I/O by volume name and byte offset, as the front ends see it. Two routings provide it:
 * {@link AccessPath} looks requests up in this blade's own copy of the map (Figure 8a), {@link
 * ProxyPath} sends them to the manager's blade, which looks them up there (Figure 8b).
 */
interface VolumeIo {
  CompletableFuture<ByteBuffer> readBuffer(String volume, long offset, int length);

  /** Gives back a buffer from {@link #readBuffer} once its bytes are consumed. */
  void release(ByteBuffer b);

  CompletableFuture<Void> write(String volume, long offset, ByteBuffer data, boolean fua);

  CompletableFuture<Void> writeZeroes(String volume, long offset, long length, boolean fua);

  CompletableFuture<Void> flush(String volume);

  /** As {@link BlockDevice#allocated}; where it cannot tell, data: the default, the whole range. */
  default CompletableFuture<BlockDevice.Allocation> allocated(String volume, long offset, long length) {
    return CompletableFuture.completedFuture(
        new BlockDevice.Allocation(offset + length, java.util.List.of(new long[] {offset, offset + length})));
  }

  default CompletableFuture<byte[]> read(String volume, long offset, int length) {
    return readBuffer(volume, offset, length).thenApply(b -> {
      byte[] out = BlockFrames.bytes(b);
      release(b);
      return out;
    });
  }

  default CompletableFuture<Void> write(String volume, long offset, byte[] data, boolean fua) {
    return write(volume, offset, ByteBuffer.wrap(data), fua);
  }
}
