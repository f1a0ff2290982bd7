package io.rackshare.layout;

import io.rackshare.map.DeviceSegment;
import io.rackshare.map.GlobalResourceDescriptor;

/**
 * A layout that keeps parity over stripes of chunks ({@link Raid5Layout}): what a stripe's
 * coordinator needs to update, reconstruct and rebuild it.
 */
public interface ParityLayout extends Layout {

  /**
   * One stripe: its chunks are {@code chunk} bytes at {@code deviceOffset} of every member; data
   * chunk {@code i} is on member {@code dataPositions[i]} and holds volume bytes from {@code
   * volumeOffset + i * chunk}.
   */
  record Stripe(long index, long deviceOffset, int chunk, int parityPosition, int[] dataPositions,
      long volumeOffset) {

    /** The position holding chunk {@code i}, or the parity for {@code -1}. */
    public int position(int i) {
      return i < 0 ? parityPosition : dataPositions[i];
    }

    /** The data chunk index of the member at {@code position}, or -1 for the parity member. */
    public int chunkOf(int position) {
      for (int i = 0; i < dataPositions.length; i++) if (dataPositions[i] == position) return i;
      return -1;
    }

    public int dataChunks() {
      return dataPositions.length;
    }

    /** Every chunk of the stripe (-1 = parity) but {@code i}: what rebuilds chunk {@code i}. */
    public java.util.List<Integer> allBut(int i) {
      java.util.List<Integer> out = new java.util.ArrayList<>(dataPositions.length);
      for (int j = -1; j < dataPositions.length; j++) if (j != i) out.add(j);
      return out;
    }
  }

  Stripe stripe(GlobalResourceDescriptor v, long index);

  /** The stripe holding volume byte {@code volumeOffset}. */
  long stripeOf(GlobalResourceDescriptor v, long volumeOffset);

  /** The segment of chunk {@code i} (-1 = parity) of {@code st}, {@code n} bytes from {@code within}. */
  DeviceSegment segment(GlobalResourceDescriptor v, Stripe st, int i, int within, int n);

  /**
   * How to write {@code length} bytes at volume byte {@code offset} of stripe {@code st} under
   * {@code v}'s member states (see {@link StripeWrite}).
   */
  default StripeWrite planWrite(GlobalResourceDescriptor v, Stripe st, long offset, int length) {
    int missing = StripeWrite.NONE;
    for (int i = -1; i < st.dataChunks(); i++) if (!v.member(st.position(i)).readable()) missing = i;
    return StripeWrite.plan(st, offset - st.volumeOffset(), length, missing);
  }

  /** Bytes of member device one bit of a coordinator's write-intent bitmap covers. */
  long intentRegion(GlobalResourceDescriptor v);
}
