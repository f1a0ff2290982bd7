package io.rackshare.multijvm;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** RAID-5 parity read off the member files: every stripe's chunks XOR to zero. */
final class Parity {
  private Parity() {}

  /** The offset of the first chunk whose members do not XOR to zero, or -1 if they all do. */
  static long firstBadChunk(List<Path> members, int chunk) throws IOException {
    List<InputStream> in = new ArrayList<>();
    try {
      for (Path p : members) in.add(new java.io.BufferedInputStream(Files.newInputStream(p), 1 << 20));
      byte[] x = new byte[chunk];
      byte[] c = new byte[chunk];
      for (long offset = 0; ; offset += chunk) {
        java.util.Arrays.fill(x, (byte) 0);
        for (InputStream s : in) {
          int n = s.readNBytes(c, 0, chunk);
          if (n < chunk) return -1;
          for (int i = 0; i < chunk; i++) x[i] ^= c[i];
        }
        for (byte b : x) if (b != 0) return offset;
      }
    } finally {
      for (InputStream s : in) s.close();
    }
  }

  static void assertConsistent(List<Path> members, int chunk) throws IOException {
    long bad = firstBadChunk(members, chunk);
    if (bad >= 0) throw new AssertionError("RAID-5 parity differs at member offset " + bad + " of " + members);
  }
}
