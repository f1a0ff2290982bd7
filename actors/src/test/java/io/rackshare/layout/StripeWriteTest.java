package io.rackshare.layout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.layout.ParityLayout.Stripe;
import io.rackshare.layout.StripeWrite.ChunkBytes;
import io.rackshare.layout.StripeWrite.Method;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The RAID-5 write algorithm against a stripe in memory: whatever the write and whichever member
 * is missing, the stripe holds the new data afterwards and its parity rebuilds every chunk,
 * having read only members that can be read.
 */
class StripeWriteTest {

  /** A stripe of {@code k} data chunks of {@code c} bytes and its parity, in memory. */
  static final class MemoryStripe {
    final Stripe stripe;
    final byte[][] chunks; // [0] = parity, [i + 1] = data chunk i

    MemoryStripe(int k, int c, Random random) {
      int[] data = new int[k];
      for (int i = 0; i < k; i++) data[i] = i + 1;
      stripe = new Stripe(0, 0, c, 0, data, 0);
      chunks = new byte[k + 1][c];
      for (int i = 1; i <= k; i++) random.nextBytes(chunks[i]);
      for (int i = 1; i <= k; i++) xorInto(chunks[0], chunks[i]);
    }

    byte[] chunk(int i) {
      return chunks[i + 1];
    }

    /** What {@code data} at stripe byte {@code rel} makes of chunk {@code i}. */
    byte[] after(int i, long rel, byte[] data) {
      byte[] out = chunk(i).clone();
      int c = stripe.chunk();
      for (int at = 0; at < c; at++) {
        long x = (long) i * c + at;
        if (x >= rel && x < rel + data.length) out[at] = data[(int) (x - rel)];
      }
      return out;
    }
  }

  static void xorInto(byte[] acc, byte[] b) {
    for (int i = 0; i < acc.length; i++) acc[i] ^= b[i];
  }

  /** Runs {@code plan} against {@code m}, leaving the missing chunk's member unread and unwritten. */
  static List<ChunkBytes> run(MemoryStripe m, StripeWrite plan, int missing, byte[] data) {
    List<ByteBuffer> handedOut = new ArrayList<>();
    List<ChunkBytes> writes = plan.writes(i -> {
      assertTrue(plan.reads().contains(i), "read chunk " + i + ", not in the plan's reads " + plan.reads());
      assertFalse(i == missing, "read the missing chunk " + i);
      ByteBuffer b = ByteBuffer.wrap(Arrays.copyOfRange(m.chunk(i), plan.from(), plan.from() + plan.length()));
      handedOut.add(b);
      return b;
    }, ByteBuffer.wrap(data));
    // The coordinator gives the read buffers back at once: the writes must not depend on them.
    for (ByteBuffer b : handedOut) Arrays.fill(b.array(), (byte) 0x5a);
    for (ChunkBytes w : writes) {
      if (w.chunk() == missing) continue;
      ByteBuffer content = w.content().duplicate();
      content.get(m.chunk(w.chunk()), w.within(), content.remaining());
    }
    return writes;
  }

  @Test
  void everyWriteWithAnyMissingMemberLeavesTheNewDataAndAParityThatRebuildsEveryChunk() {
    Random random = new Random(20261206);
    for (int round = 0; round < 4000; round++) {
      int k = 2 + random.nextInt(4);
      int c = 8 << random.nextInt(3);
      MemoryStripe m = new MemoryStripe(k, c, random);
      int size = k * c;
      int rel = random.nextInt(size);
      int length = 1 + random.nextInt(size - rel);
      int missing = random.nextInt(k + 2) - 2; // NONE, the parity, or a data chunk
      byte[] data = new byte[length];
      random.nextBytes(data);
      byte[][] expected = new byte[k][];
      for (int i = 0; i < k; i++) expected[i] = m.after(i, rel, data);
      StripeWrite plan = StripeWrite.plan(m.stripe, rel, length, missing);
      String what = "round " + round + ": " + k + " chunks of " + c + ", bytes " + rel + "+" + length + ", missing "
          + missing + ", " + plan.method();
      run(m, plan, missing, data);
      byte[] rebuilt = m.chunk(-1).clone();
      for (int i = 0; i < k; i++) {
        if (i == missing) continue;
        assertArrayEquals(expected[i], m.chunk(i), what + ": chunk " + i);
        xorInto(rebuilt, m.chunk(i));
      }
      // Parity ^ every present chunk = the missing chunk's new content (zeros when none is missing).
      if (missing >= 0) assertArrayEquals(expected[missing], rebuilt, what + ": the missing chunk from the parity");
      else if (missing == StripeWrite.NONE) assertArrayEquals(new byte[c], rebuilt, what + ": parity");
    }
  }

  @Test
  void aSmallWriteReadsTheOldDataAndParityAFullStripeReadsNothing() {
    MemoryStripe m = new MemoryStripe(4, 16, new Random(1));
    StripeWrite small = StripeWrite.plan(m.stripe, 20, 3, StripeWrite.NONE);
    assertEquals(Method.READ_MODIFY_WRITE, small.method());
    assertEquals(List.of(-1, 1), small.reads());
    assertEquals(4, small.from());
    assertEquals(3, small.length(), "only the bytes the write changes are read and the parity's are written");

    StripeWrite full = StripeWrite.plan(m.stripe, 0, 64, StripeWrite.NONE);
    assertEquals(Method.RECONSTRUCT_WRITE, full.method());
    assertEquals(List.of(), full.reads());
    List<ChunkBytes> writes = run(m, full, StripeWrite.NONE, new byte[64]);
    assertEquals(5, writes.size(), "four data chunks and the parity");

    // Three chunks of four: reading the fourth is cheaper than three old chunks and the parity.
    StripeWrite most = StripeWrite.plan(m.stripe, 0, 48, StripeWrite.NONE);
    assertEquals(Method.RECONSTRUCT_WRITE, most.method());
    assertEquals(List.of(3), most.reads());
  }

  @Test
  void aMissingMemberDecidesTheMethod() {
    MemoryStripe m = new MemoryStripe(4, 16, new Random(2));
    // No parity to read: reconstruct, from the chunks the write does not cover (chunk 0 only in part).
    StripeWrite noParity = StripeWrite.plan(m.stripe, 10, 30, -1);
    assertEquals(Method.RECONSTRUCT_WRITE, noParity.method());
    assertEquals(List.of(0, 2, 3), noParity.reads());
    // A missing chunk the write does not touch: read-modify-write never reads it.
    StripeWrite untouched = StripeWrite.plan(m.stripe, 0, 40, 3);
    assertEquals(Method.READ_MODIFY_WRITE, untouched.method());
    assertEquals(List.of(-1, 0, 1, 2), untouched.reads());
    // A missing chunk the write covers in part: its old bytes come from the parity and the rest.
    StripeWrite partly = StripeWrite.plan(m.stripe, 10, 30, 0);
    assertEquals(Method.RECONSTRUCT_WRITE, partly.method());
    assertEquals(List.of(-1, 1, 2, 3), partly.reads());
    // A missing chunk the write covers whole: nothing of it is needed.
    StripeWrite whole = StripeWrite.plan(m.stripe, 20, 3, 1);
    assertEquals(Method.RECONSTRUCT_WRITE, whole.method());
    assertEquals(List.of(0, 2, 3), whole.reads());
  }
}
