package io.rackshare.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A disk file serves its own bytes only: nothing past its size, whatever offset plus length gives. */
class FileBlockStoreTest {

  static final long SIZE = 64 * 1024;
  /** Offset plus 1024 overflows a long. */
  static final long OVERFLOW = Long.MAX_VALUE - 511;

  @TempDir Path dir;

  FileBlockStore store() throws IOException {
    Path file = dir.resolve("disk.img");
    Files.write(file, new byte[(int) SIZE]);
    return new FileBlockStore(file, SIZE);
  }

  @Test
  void aRangeIsOnTheDeviceOnlyIfItsEndIs() throws IOException {
    try (FileBlockStore s = store()) {
      assertTrue(s.inRange(0, SIZE));
      assertTrue(s.inRange(SIZE, 0));
      assertTrue(s.inRange(SIZE - 512, 512));
      assertFalse(s.inRange(SIZE - 512, 1024));
      assertFalse(s.inRange(OVERFLOW, 1024));
      assertFalse(s.inRange(1, Long.MAX_VALUE));
      assertFalse(s.inRange(Long.MIN_VALUE, 1024));
      assertFalse(s.inRange(-1, 1));
      assertFalse(s.inRange(0, -1));
    }
  }

  @Test
  void requestsPastTheEndFailAndLeaveTheFileAsItWas() throws IOException {
    try (FileBlockStore s = store()) {
      Path file = dir.resolve("disk.img");
      byte[] four = {1, 2, 3, 4};
      assertThrows(IOException.class, () -> s.write(SIZE - 2, ByteBuffer.wrap(four), false));
      assertThrows(IOException.class, () -> s.write(OVERFLOW, ByteBuffer.wrap(new byte[1024]), false));
      assertThrows(IOException.class, () -> s.writeZeroes(SIZE - 2, 4, false));
      assertThrows(IOException.class, () -> s.writeZeroes(OVERFLOW, 1024, false));
      assertThrows(IOException.class, () -> s.read(SIZE - 2, 4));
      assertThrows(IOException.class, () -> s.read(OVERFLOW, ByteBuffer.allocate(1024)));
      assertThrows(IOException.class, () -> s.transferTo(OVERFLOW, 1024, java.nio.channels.Channels.newChannel(
          java.io.OutputStream.nullOutputStream())));
      assertEquals(SIZE, Files.size(file), "the disk file grew");
      // The last bytes are still served.
      s.write(SIZE - 4, ByteBuffer.wrap(four), false);
      assertArrayEquals(four, s.read(SIZE - 4, 4));
    }
  }
}
