package io.rackshare.driver;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A blade's non-volatile memory (0062) as a block device: a file memory-mapped whole (on a
 * pmem/DAX mount, or any file), read and written as memory, forced to its medium on FUA and
 * FLUSH ({@link MappedByteBuffer#force(int, int)}: on a DAX mount, a cache flush; elsewhere,
 * the page cache written back). Its content survives the blade's restarts.
 */
public final class MappedBlockStore extends ChunkedBlockStore {

  private final FileChannel channel;

  private MappedBlockStore(long size, FileChannel channel, List<MappedByteBuffer> chunks) {
    super(size, chunks);
    this.channel = channel;
  }

  /** Maps {@code size} bytes of {@code file} (created, and grown to {@code size}, if needed). */
  public static MappedBlockStore open(Path file, long size) throws IOException {
    if (size <= 0) throw new IllegalArgumentException("a non-volatile memory device needs a size > 0, got " + size);
    if (file.getParent() != null) java.nio.file.Files.createDirectories(file.getParent());
    FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    try {
      if (ch.size() < size) {
        // Grown sparsely: the new end reads as zeros.
        ch.write(java.nio.ByteBuffer.allocate(1), size - 1);
      }
      List<MappedByteBuffer> chunks = new ArrayList<>();
      for (long at = 0; at < size; at += CHUNK) {
        chunks.add(ch.map(FileChannel.MapMode.READ_WRITE, at, Math.min(CHUNK, size - at)));
      }
      return new MappedBlockStore(size, ch, chunks);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  @Override
  void force(long offset, long length) throws IOException {
    long at = offset;
    long end = Math.min(size(), offset + length);
    while (at < end) {
      MappedByteBuffer c = (MappedByteBuffer) chunks.get((int) (at / CHUNK));
      int from = (int) (at % CHUNK);
      int n = (int) Math.min(c.capacity() - from, end - at);
      c.force(from, n);
      at += n;
    }
  }

  @Override
  public void close() throws IOException {
    flush();
    super.close();
    channel.close();
  }
}
