package io.rackshare.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The verifying writer against a device in memory: what it counts as lost, and what as unknown. */
class VerifyingWriterTest {

  static final Duration T = Duration.ofSeconds(10);
  static final VerifyingWriter.Options OPTIONS = VerifyingWriter.Options.defaults().region(4096, 64 * 4096).rate(0);

  static VerifyingWriter write(MemoryDevice d, long count) throws Exception {
    VerifyingWriter w = VerifyingWriter.start(d, OPTIONS);
    w.awaitAcknowledged(count, T);
    w.stop(T);
    return w;
  }

  @Test
  void everyAcknowledgedWriteReadsBack() throws Exception {
    MemoryDevice d = new MemoryDevice(1 << 20, (n, o) -> false, (n, o) -> false);
    VerifyingWriter w = write(d, 2000);
    VerifyingWriter.Verified v = w.verifyAll(d);
    assertEquals(64, v.blocksChecked(), "2000 random writes reach each of the 64 blocks");
    assertEquals(0, v.uncertainBlocks());
    assertEquals(0, w.summary().failed());
  }

  @Test
  void aBlockOverwrittenBehindTheWritersBackIsReportedWithItsOffset() throws Exception {
    MemoryDevice d = new MemoryDevice(1 << 20, (n, o) -> false, (n, o) -> false);
    VerifyingWriter w = write(d, 2000);
    d.bytes[4096 + 7 * 4096 + 100] ^= 1;
    AssertionError e = assertThrows(AssertionError.class, () -> w.verifyAll(d));
    assertTrue(e.getMessage().startsWith("1 of 64 acknowledged blocks lost or wrong"), e.getMessage());
    assertTrue(e.getMessage().contains("offset=" + (4096 + 7 * 4096)), e.getMessage());
  }

  @Test
  void acknowledgedWritesThatNeverLandedAreLost() throws Exception {
    // Writes to block 5 of the region are acknowledged but never stored (2000 writes surely reach it).
    long block5 = 4096 + 5 * 4096;
    MemoryDevice d = new MemoryDevice(1 << 20, (n, o) -> false, (n, o) -> o == block5);
    VerifyingWriter w = write(d, 2000);
    AssertionError e = assertThrows(AssertionError.class, () -> w.verifyAll(d));
    assertTrue(e.getMessage().startsWith("1 of 64 acknowledged blocks lost or wrong"), e.getMessage());
    assertTrue(e.getMessage().contains("offset=" + block5) && e.getMessage().contains("generation 0"), e.getMessage());
  }

  @Test
  void writesThatFailedAreUnknownNotLost() throws Exception {
    // Every third write fails after landing (the client never learns it did): its block may hold it.
    MemoryDevice d = new MemoryDevice(1 << 20, (n, o) -> n % 3 == 0, (n, o) -> false);
    VerifyingWriter w = write(d, 300);
    VerifyingWriter.Verified v = w.verifyAll(d);
    assertTrue(w.summary().failed() >= 140, w.summary().toString());
    assertTrue(v.uncertainBlocks() > 0, "some blocks' last write failed: " + v);
  }

  @Test
  void aFailedWriteThatDidNotLandIsUnknownToo() throws Exception {
    // Every third write fails without landing: the block keeps the last acknowledged content.
    MemoryDevice d = new MemoryDevice(1 << 20, (n, o) -> n % 3 == 0, (n, o) -> n % 3 == 0);
    VerifyingWriter w = write(d, 300);
    assertTrue(w.verifyAll(d).uncertainBlocks() > 0);
  }

  @Test
  void aRateLimitedWriterStopsAtOnceWithNothingInFlight() throws Exception {
    MemoryDevice d = new MemoryDevice(1 << 20, (n, o) -> false, (n, o) -> false);
    VerifyingWriter w = VerifyingWriter.start(d, OPTIONS.rate(100));
    w.awaitAcknowledged(20, T);
    long asked = System.nanoTime();
    VerifyingWriter.Summary s = w.stop(T);
    assertTrue(System.nanoTime() - asked < Duration.ofSeconds(2).toNanos(), "stopped between two writes");
    assertEquals(s, w.summary(), "no write answered after stop");
    assertTrue(w.verifyAll(d).blocksChecked() > 0);
  }
}
