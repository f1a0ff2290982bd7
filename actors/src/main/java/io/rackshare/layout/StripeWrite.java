package io.rackshare.layout;

import io.rackshare.layout.ParityLayout.Stripe;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * How one write to a parity stripe is carried out, as a pure plan: which chunk bytes must be read
 * first ({@link #reads()}), and from them and the new data, which chunk and parity bytes to write
 * ({@link #writes}). The stripe's coordinator ({@code io.rackshare.access.StripeCoordinator}) runs
 * it under the stripe's lock; it knows no more of RAID than this class tells it.
 *
 * <p>Chunks are numbered {@code 0 .. dataChunks-1}; {@code -1} is the parity. Every read and the
 * parity write cover the same bytes {@code [from(), from() + length())} of their chunks: the
 * bytes of a chunk this write changes, or whole chunks once it spans more than one.
 *
 * <p>Two methods, as Linux md's RAID-5:
 *
 * <ul>
 *   <li>read-modify-write reads the old data of the chunks it touches and the old parity: {@code
 *       P' = P ^ old ^ new};
 *   <li>reconstruct-write reads every chunk the write does not cover and XORs the new stripe.
 * </ul>
 *
 * Whichever reads less, unless a missing member (one that cannot be read) decides: without the
 * parity only reconstruct-write can work; a missing chunk the write does not touch can only be
 * left out by read-modify-write; a missing chunk the write overwrites in part has its old bytes
 * rebuilt from the parity and the others first.
 *
 * <p>Immutable; any thread.
 */
public final class StripeWrite {

  /** No member of the stripe is missing. */
  public static final int NONE = -2;

  /**
   * How a RAID-5 write computes its stripe's new parity: from the old data and parity it changes
   * ({@code READ_MODIFY_WRITE}) or from the chunks it does not cover ({@code RECONSTRUCT_WRITE});
   * see above for which is chosen.
   */
  public enum Method { READ_MODIFY_WRITE, RECONSTRUCT_WRITE }

  /** New content for {@code chunk} (-1 = parity), from byte {@code within} of it. */
  public record ChunkBytes(int chunk, int within, ByteBuffer content) {}

  private final Stripe stripe;
  private final long rel;
  private final long relEnd;
  private final int first;
  private final int last;
  private final int pa;
  private final int pb;
  private final int missing;
  private final Method method;
  private final List<Integer> reads;

  private StripeWrite(Stripe st, long rel, int length, int missing) {
    int c = st.chunk();
    int k = st.dataChunks();
    if (length <= 0 || rel < 0 || rel + length > (long) k * c) {
      throw new IllegalArgumentException("bytes " + rel + "+" + length + " are not in a stripe of " + k + " chunks of " + c);
    }
    if (missing != NONE && (missing < -1 || missing >= k)) throw new IllegalArgumentException("no chunk " + missing);
    this.stripe = st;
    this.rel = rel;
    this.relEnd = rel + length;
    this.first = (int) (rel / c);
    this.last = (int) ((relEnd - 1) / c);
    this.pa = first == last ? (int) (rel % c) : 0;
    this.pb = first == last ? (int) ((relEnd - 1) % c) + 1 : c;
    this.missing = missing;
    int touched = last - first + 1;
    int uncovered = 0;
    for (int i = 0; i < k; i++) if (!covers(i)) uncovered++;
    boolean rmw = missing == -1 ? false // no parity to read
        : missing >= first && missing <= last ? false // the missing chunk is rewritten: reconstruct
        : missing >= 0 || touched + 1 < uncovered; // an untouched missing chunk: only RMW leaves it out
    this.method = rmw ? Method.READ_MODIFY_WRITE : Method.RECONSTRUCT_WRITE;
    List<Integer> r = new ArrayList<>();
    if (rmw) {
      r.add(-1);
      for (int i = first; i <= last; i++) r.add(i);
    } else if (rewritesInPart(missing)) {
      r.addAll(st.allBut(missing));
    } else {
      for (int i = 0; i < k; i++) if (!covers(i)) r.add(i);
    }
    this.reads = List.copyOf(r);
  }

  /**
   * Plans a write of {@code length} bytes from stripe-relative byte {@code rel} (0 = the first byte
   * of data chunk 0) when chunk {@code missing} (-1 = parity, {@link #NONE}) cannot be read.
   */
  public static StripeWrite plan(Stripe st, long rel, int length, int missing) {
    return new StripeWrite(st, rel, length, missing);
  }

  public Method method() {
    return method;
  }

  /** The chunks to read first (-1 = parity), each over {@code [from(), from() + length())}. */
  public List<Integer> reads() {
    return reads;
  }

  /** The first byte, within each chunk, of what is read and of the parity written. */
  public int from() {
    return pa;
  }

  public int length() {
    return pb - pa;
  }

  /**
   * The bytes to write: every touched chunk's new data (slices of {@code data}), then the parity.
   * {@code read} gives the bytes of each chunk of {@link #reads()} ({@code length()} bytes from
   * its position); {@code data} holds the write's bytes from its position. The result keeps no
   * reference to what {@code read} gave: those buffers may be given back at once.
   */
  public List<ChunkBytes> writes(IntFunction<ByteBuffer> read, ByteBuffer data) {
    ByteBuffer d = data.slice();
    int c = stripe.chunk();
    int n = length();
    byte[] parity = new byte[n];
    if (method == Method.READ_MODIFY_WRITE) {
      xor(parity, read.apply(-1));
      for (int i = first; i <= last; i++) {
        xorCovered(parity, read.apply(i), i, null);
        xorCovered(parity, null, i, d);
      }
    } else {
      byte[] missingOld = null;
      if (rewritesInPart(missing)) {
        missingOld = new byte[n];
        for (int i : stripe.allBut(missing)) xor(missingOld, read.apply(i));
      }
      for (int i = 0; i < stripe.dataChunks(); i++) {
        byte[] chunk = new byte[n];
        if (i == missing && missingOld != null) System.arraycopy(missingOld, 0, chunk, 0, n);
        else if (reads.contains(i)) read.apply(i).duplicate().get(chunk);
        overlay(chunk, i, d);
        xor(parity, ByteBuffer.wrap(chunk));
      }
    }
    List<ChunkBytes> out = new ArrayList<>(last - first + 2);
    for (int i = first; i <= last; i++) {
      long from = Math.max(rel, (long) i * c);
      long to = Math.min(relEnd, (long) (i + 1) * c);
      out.add(new ChunkBytes(i, (int) (from - (long) i * c), d.slice((int) (from - rel), (int) (to - from))));
    }
    out.add(new ChunkBytes(-1, pa, ByteBuffer.wrap(parity)));
    return out;
  }

  /** Whether the write covers chunk {@code i}'s bytes {@code [from(), from() + length())}. */
  private boolean covers(int i) {
    long base = (long) i * stripe.chunk();
    return rel <= base + pa && relEnd >= base + pb;
  }

  /** Whether data chunk {@code i} is written, but not over all of {@code [from(), from() + length())}. */
  private boolean rewritesInPart(int i) {
    return i >= first && i <= last && !covers(i);
  }

  /**
   * XORs into {@code acc} the part of chunk {@code i} this write covers: from {@code old} (chunk
   * bytes from {@code from()}) or from the write's data {@code d}.
   */
  private void xorCovered(byte[] acc, ByteBuffer old, int i, ByteBuffer d) {
    long base = (long) i * stripe.chunk() + pa;
    long from = Math.max(rel, base);
    long to = Math.min(relEnd, base + acc.length);
    for (long x = from; x < to; x++) {
      int at = (int) (x - base);
      acc[at] ^= old != null ? old.get(old.position() + at) : d.get((int) (x - rel));
    }
  }

  /** Overwrites the part of {@code chunk} (chunk {@code i}'s bytes from {@code from()}) this write covers. */
  private void overlay(byte[] chunk, int i, ByteBuffer d) {
    long base = (long) i * stripe.chunk() + pa;
    long from = Math.max(rel, base);
    long to = Math.min(relEnd, base + chunk.length);
    if (from < to) d.duplicate().position((int) (from - rel)).get(chunk, (int) (from - base), (int) (to - from));
  }

  /** {@code acc ^= b} over the shorter of the two, eight bytes at a time. */
  public static void xor(byte[] acc, ByteBuffer b) {
    ByteBuffer src = b.duplicate();
    ByteBuffer dst = ByteBuffer.wrap(acc);
    int n = Math.min(acc.length, src.remaining());
    int i = 0;
    for (; i + 8 <= n; i += 8) dst.putLong(i, dst.getLong(i) ^ src.getLong(src.position() + i));
    for (; i < n; i++) acc[i] ^= src.get(src.position() + i);
  }
}
