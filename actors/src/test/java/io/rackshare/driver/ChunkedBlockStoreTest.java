package io.rackshare.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Memory ({@link MemoryBlockStore}) and non-volatile memory ({@link MappedBlockStore}) as block
 * devices: bytes across a chunk's end read back exactly, zeroes zero, and a mapped file keeps what
 * was written (and forced) when it is opened again, byte for byte in the file itself.
 */
class ChunkedBlockStoreTest {
  static final long SIZE = ChunkedBlockStore.CHUNK + (1 << 20);
  static final long ACROSS = ChunkedBlockStore.CHUNK - 3000;

  @TempDir Path dir;

  static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  static void exercise(ChunkedBlockStore s) throws Exception {
    assertEquals(SIZE, s.size());
    byte[] data = random(10_000, 7);
    s.write(ACROSS, ByteBuffer.wrap(data), true);
    assertArrayEquals(data, s.read(ACROSS, data.length), "across the chunks' boundary");
    ByteBuffer direct = ByteBuffer.allocateDirect(data.length);
    s.read(ACROSS, direct);
    assertArrayEquals(data, bytes(direct.flip()));
    ByteArrayOutputStream sent = new ByteArrayOutputStream();
    s.transferTo(ACROSS, data.length, Channels.newChannel(sent));
    assertArrayEquals(data, sent.toByteArray());
    s.writeZeroes(ACROSS + 100, 5000, false);
    byte[] expect = data.clone();
    java.util.Arrays.fill(expect, 100, 5100, (byte) 0);
    assertArrayEquals(expect, s.read(ACROSS, data.length));
    assertArrayEquals(new byte[4096], s.read(0, 4096), "never written reads as zeros");
    s.flush();
  }

  static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  @Test
  void memoryReadsBackWhatWasWrittenAcrossItsChunks() throws Exception {
    MemoryBlockStore m = new MemoryBlockStore(SIZE, "i1");
    exercise(m);
    assertEquals("i1", m.incarnation());
    m.close();
    assertThrows(java.io.IOException.class, () -> m.read(0, 1), "closed");
  }

  @Test
  void aMappedFileKeepsItsBytesWhenOpenedAgain() throws Exception {
    Path file = dir.resolve("nvram.img");
    MappedBlockStore s = MappedBlockStore.open(file, SIZE);
    exercise(s);
    byte[] data = random(8192, 9);
    s.write(4096, ByteBuffer.wrap(data), false);
    s.flush();
    s.close();
    assertEquals(SIZE, Files.size(file));
    byte[] inFile = new byte[data.length];
    try (var f = new java.io.RandomAccessFile(file.toFile(), "r")) {
      f.seek(4096);
      f.readFully(inFile);
    }
    assertArrayEquals(data, inFile, "in the file itself");
    MappedBlockStore again = MappedBlockStore.open(file, SIZE);
    assertArrayEquals(data, again.read(4096, data.length));
    again.close();
  }
}
