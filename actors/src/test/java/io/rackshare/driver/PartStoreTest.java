package io.rackshare.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.Extent;
import io.rackshare.map.Part;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A part of a disk as a device: its extents in order, nothing outside them touched. */
class PartStoreTest {
  static final int BS = 4096;
  static final BladeId B = new BladeId(1, 1, 1);
  static final DevicePath DISK = DevicePath.disk(B, 0);

  @TempDir
  Path dir;

  /** Blocks 8-15 then 2-5 of a 32-block disk: 12 blocks, out of order on the disk. */
  static Part part() {
    return new Part(new DevicePath(B, Part.KIND, 0), List.of(new Extent(0, 8, DISK, 8), new Extent(8, 4, DISK, 2)), 12);
  }

  /** A sparse 32-block disk file. */
  FileBlockStore disk() throws IOException {
    Path f = dir.resolve("disk");
    try (var raf = new java.io.RandomAccessFile(f.toFile(), "rw")) {
      raf.setLength(32L * BS);
    }
    return new FileBlockStore(f, 32L * BS);
  }

  @Test
  void bytesLandInTheExtentsInOrderAndNowhereElse() throws IOException {
    try (FileBlockStore disk = disk()) {
      PartStore p = new PartStore(disk, part(), BS);
      assertEquals(12L * BS, p.size());
      byte[] data = new byte[12 * BS];
      new Random(7).nextBytes(data);
      // Across the boundary of the two extents, from a direct buffer with a position.
      ByteBuffer direct = ByteBuffer.allocateDirect(data.length + 100);
      direct.position(100);
      direct.put(data).position(100);
      p.write(0, direct, false);
      assertEquals(direct.limit(), direct.position());
      byte[] disk8to15 = disk.read(8L * BS, 8 * BS);
      byte[] disk2to5 = disk.read(2L * BS, 4 * BS);
      assertArrayEquals(java.util.Arrays.copyOfRange(data, 0, 8 * BS), disk8to15);
      assertArrayEquals(java.util.Arrays.copyOfRange(data, 8 * BS, 12 * BS), disk2to5);
      // Everything else of the disk is untouched (zeros).
      assertArrayEquals(new byte[2 * BS], disk.read(0, 2 * BS));
      assertArrayEquals(new byte[2 * BS], disk.read(6L * BS, 2 * BS));
      assertArrayEquals(new byte[16 * BS], disk.read(16L * BS, 16 * BS));
      // Read back across the boundary, both ways.
      assertArrayEquals(java.util.Arrays.copyOfRange(data, 7 * BS + 5, 9 * BS + 5), p.read(7L * BS + 5, 2 * BS));
      ByteBuffer into = ByteBuffer.allocate(2 * BS + 10);
      into.position(10);
      p.read(7L * BS + 5, into);
      assertEquals(into.limit(), into.position());
      assertArrayEquals(java.util.Arrays.copyOfRange(data, 7 * BS + 5, 9 * BS + 5),
          java.util.Arrays.copyOfRange(into.array(), 10, 10 + 2 * BS));
      // Zeroes across the boundary; sendfile-style transfer of a range across it.
      p.writeZeroes(7L * BS, 2L * BS, false);
      assertArrayEquals(new byte[2 * BS], p.read(7L * BS, 2 * BS));
      Path out = dir.resolve("out");
      try (var ch = java.nio.channels.FileChannel.open(out, java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.WRITE)) {
        p.transferTo(6L * BS, 4 * BS, ch);
      }
      byte[] expected = p.read(6L * BS, 4 * BS);
      assertArrayEquals(expected, Files.readAllBytes(out));
    }
  }

  @Test
  void nothingOutsideThePartIsReachable() throws IOException {
    try (FileBlockStore disk = disk()) {
      PartStore p = new PartStore(disk, part(), BS);
      assertThrows(IOException.class, () -> p.read(12L * BS, 1));
      assertThrows(IOException.class, () -> p.read(11L * BS, 2 * BS));
      assertThrows(IOException.class, () -> p.write(-1, ByteBuffer.allocate(1), false));
      assertThrows(IOException.class, () -> p.writeZeroes(0, Long.MAX_VALUE, false));
      assertTrue(!p.inRange(Long.MAX_VALUE - 1, 10));
      // A part whose extents lie past the disk's end is refused when it is made.
      Part past = new Part(new DevicePath(B, Part.KIND, 1), List.of(new Extent(0, 8, DISK, 30)), 0);
      assertThrows(IllegalArgumentException.class, () -> new PartStore(disk, past, BS));
    }
  }

  @Test
  void allocatedRangesAreGivenInThePartsOffsets() throws IOException {
    try (FileBlockStore disk = disk()) {
      PartStore p = new PartStore(disk, part(), BS);
      p.writeZeroes(0, p.size(), false);
      byte[] one = new byte[BS];
      one[0] = 1;
      p.write(9L * BS, ByteBuffer.wrap(one), false);
      List<long[]> a = p.allocated(0, p.size());
      long allocatedBytes = a.stream().mapToLong(r -> r[1] - r[0]).sum();
      assertTrue(a.stream().anyMatch(r -> r[0] <= 9L * BS && r[1] >= 10L * BS), "the written block is allocated");
      assertTrue(allocatedBytes < p.size(), "holes are reported where the file system keeps them");
    }
  }
}
