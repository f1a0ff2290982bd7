package io.rackshare.layout;

import io.rackshare.io.Ranges;
import io.rackshare.map.DevicePath;
import io.rackshare.map.DeviceSegment;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.Member;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.map.VolumeSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * RAID-5 with rotating parity, left-symmetric like Linux md's default: with {@code n} members
 * (at least 3, each on its own blade) and chunks of {@code stripe-size} (default 64 KiB), stripe
 * {@code s} keeps its parity on member {@code n-1 - s%n} and its {@code n-1} data chunks on the
 * members that follow it, wrapping around; every chunk of stripe {@code s} sits at device offset
 * {@code s * stripe-size}. Survives the loss of one member.
 *
 * <p>Writes to a stripe are not sent to the members directly: its coordinator (the blade of the
 * stripe's parity member) updates data and parity under the stripe's lock, so that writers on
 * different blades and a rebuild never interleave on one stripe; see {@code
 * io.rackshare.access.StripeCoordinator}.
 */
public final class Raid5Layout implements ParityLayout {

  public static final String NAME = "raid5";
  static final long DEFAULT_STRIPE = 64 * 1024;
  static final long DEFAULT_INTENT_REGION = 64L << 20;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Shape shape(int copies, int width) {
    Layout.single(NAME, copies);
    int w = Layout.atLeast(NAME, "a width", width, 3, 3);
    return new Shape(w, w - 1, java.util.Map.of());
  }
  /** Every member: a stripe's parity rotates by its row, which growing does not change. */
  @Override
  public List<Integer> growingMembers(GlobalResourceDescriptor volume) {
    return Layout.all(volume);
  }


  @Override
  public boolean redundant() {
    return true;
  }

  @Override
  public GlobalResourceDescriptor build(
      VolumeSpec spec, List<ResourceDescriptor> members, List<ResourceDescriptor> spares, long epoch) {
    LayoutOptions o = LayoutOptions.checkRedundant(spec, LayoutOptions.STRIPE_SIZE, LayoutOptions.INTENT_REGION);
    int blockSize = Layouts.commonBlockSize(spec, members);
    if (members.size() < 3) throw new IllegalArgumentException("raid5 needs at least 3 members, got " + members.size());
    Set<Object> blades = new HashSet<>();
    for (ResourceDescriptor m : members) {
      if (!blades.add(m.path().blade())) {
        throw new IllegalArgumentException("raid5 members must sit on different blades: " + m.path().blade()
            + " holds two, and losing it would lose two chunks of a stripe");
      }
    }
    long chunk = o.size(LayoutOptions.STRIPE_SIZE, DEFAULT_STRIPE, blockSize);
    o.size(LayoutOptions.INTENT_REGION, DEFAULT_INTENT_REGION, chunk);
    long memberBlocks = CopiesLayout.memberBlocks(members, chunk / blockSize);
    CopiesLayout.checkSpares(spec, spares, blockSize, memberBlocks, true);
    long capacity = memberBlocks * (members.size() - 1);
    return new GlobalResourceDescriptor(spec.name(), NAME, blockSize, capacity, memberBlocks,
        CopiesLayout.active(members, epoch), CopiesLayout.paths(spares), List.of(), o.normalised(), epoch);
  }

  static int chunk(GlobalResourceDescriptor v) {
    return (int) LayoutOptions.longOption(v, LayoutOptions.STRIPE_SIZE, DEFAULT_STRIPE);
  }

  @Override
  public long intentRegion(GlobalResourceDescriptor v) {
    return LayoutOptions.longOption(v, LayoutOptions.INTENT_REGION, DEFAULT_INTENT_REGION);
  }

  @Override
  public long stripeOf(GlobalResourceDescriptor v, long volumeOffset) {
    return volumeOffset / chunk(v) / (v.members().size() - 1);
  }

  @Override
  public Stripe stripe(GlobalResourceDescriptor v, long s) {
    int n = v.members().size();
    int c = chunk(v);
    int parity = (n - 1) - (int) (s % n);
    int[] data = new int[n - 1];
    for (int i = 0; i < n - 1; i++) data[i] = (parity + 1 + i) % n;
    return new Stripe(s, s * c, c, parity, data, s * (n - 1) * c);
  }

  @Override
  public DeviceSegment segment(GlobalResourceDescriptor v, Stripe st, int i, int within, int n) {
    DevicePath d = v.member(st.position(i)).device();
    return i < 0
        ? DeviceSegment.parity(d, st.deviceOffset() + within, n)
        : new DeviceSegment(d, st.deviceOffset() + within, st.volumeOffset() + (long) i * st.chunk() + within, n);
  }

  @Override
  public List<ReadPiece> reads(GlobalResourceDescriptor v, long offset, int length) {
    List<ReadPiece> out = new ArrayList<>(2);
    int c = chunk(v);
    long pos = offset;
    long end = offset + length;
    while (pos < end) {
      Stripe st = stripe(v, stripeOf(v, pos));
      int i = (int) ((pos - st.volumeOffset()) / c);
      int within = (int) ((pos - st.volumeOffset()) % c);
      int n = (int) Math.min(end - pos, c - within);
      if (v.member(st.position(i)).readable()) {
        out.add(new ReadPiece.Direct(segment(v, st, i, within, n)));
      } else {
        // The chunk's member cannot be read: the stripe's coordinator rebuilds the bytes from the
        // rest of the stripe under the stripe's lock.
        Member parity = v.member(st.parityPosition());
        if (!parity.readable()) {
          throw new IllegalStateException("stripe " + st.index() + " of '" + v.name() + "' lost two chunks");
        }
        out.add(new ReadPiece.Reconstructed(pos, n, st.index(), parity.device()));
      }
      pos += n;
    }
    return out;
  }

  @Override
  public List<WritePiece> writes(GlobalResourceDescriptor v, long offset, int length) {
    List<WritePiece> out = new ArrayList<>(2);
    int c = chunk(v);
    long pos = offset;
    long end = offset + length;
    while (pos < end) {
      Stripe st = stripe(v, stripeOf(v, pos));
      long stripeEnd = st.volumeOffset() + (long) st.dataPositions().length * c;
      Member parity = v.member(st.parityPosition());
      if (parity.writable()) {
        int n = (int) Math.min(end - pos, stripeEnd - pos);
        out.add(new WritePiece.Parity(pos, n, st.index(), parity.device()));
        pos += n;
        continue;
      }
      // No parity to keep: the data goes straight to its member.
      int i = (int) ((pos - st.volumeOffset()) / c);
      int within = (int) ((pos - st.volumeOffset()) % c);
      int n = (int) Math.min(end - pos, c - within);
      Member m = v.member(st.position(i));
      DeviceSegment s = segment(v, st, i, within, n);
      if (m.state() == Member.State.ACTIVE) out.add(new WritePiece.Copies(pos, n, List.of(s), List.of()));
      else if (m.state() == Member.State.REBUILDING) out.add(new WritePiece.Copies(pos, n, List.of(), List.of(s)));
      else throw new IllegalStateException("stripe " + st.index() + " of '" + v.name() + "' lost two chunks");
      pos += n;
    }
    return out;
  }

  @Override
  public boolean owns(GlobalResourceDescriptor v, DeviceSegment s, boolean write) {
    int c = chunk(v);
    if (s.length() == 0 || s.length() > c - s.deviceOffset() % c
        || !Ranges.fits(s.deviceOffset(), s.length(), v.memberBytes())) {
      return false;
    }
    Stripe st = stripe(v, s.deviceOffset() / c);
    int position;
    if (s.isParity()) {
      position = st.parityPosition();
    } else {
      if (!Ranges.fits(s.volumeOffset(), s.length(), v.sizeBytes()) || stripeOf(v, s.volumeOffset()) != st.index()) {
        return false;
      }
      int i = (int) ((s.volumeOffset() - st.volumeOffset()) / c);
      if (st.deviceOffset() + (s.volumeOffset() - st.volumeOffset()) % c != s.deviceOffset()) return false;
      position = st.position(i);
    }
    Member m = v.member(position);
    return m.device().equals(s.device()) && (write ? m.writable() : m.readable());
  }

  @Override
  public Health health(GlobalResourceDescriptor v) {
    List<String> notInSync = new ArrayList<>();
    for (Member m : v.members()) {
      if (m.state() != Member.State.ACTIVE) notInSync.add(m.device() + " " + m.state());
    }
    if (notInSync.isEmpty()) return Health.OPTIMAL;
    if (notInSync.size() == 1) return new Health(Health.Status.DEGRADED, notInSync.get(0));
    return new Health(Health.Status.FAILED, "lost " + notInSync.size() + " members, more than its parity covers: "
        + String.join(", ", notInSync));
  }

  @Override
  public boolean mayHold(GlobalResourceDescriptor v, int position, DevicePath device) {
    for (int i = 0; i < v.members().size(); i++) {
      if (i != position && v.member(i).blade().equals(device.blade())) return false;
    }
    return true;
  }

  @Override
  public List<DeviceSegment> memberSegments(GlobalResourceDescriptor v, int position, long deviceOffset, int length) {
    List<DeviceSegment> out = new ArrayList<>();
    int c = chunk(v);
    long pos = deviceOffset;
    long end = deviceOffset + length;
    while (pos < end) {
      Stripe st = stripe(v, pos / c);
      int within = (int) (pos % c);
      int n = (int) Math.min(end - pos, c - within);
      out.add(segment(v, st, st.chunkOf(position), within, n));
      pos += n;
    }
    return out;
  }

  @Override
  public List<RebuildStep> rebuild(GlobalResourceDescriptor v, int position, long deviceOffset, int length) {
    List<RebuildStep> out = new ArrayList<>();
    for (DeviceSegment s : memberSegments(v, position, deviceOffset, length)) {
      Stripe st = stripe(v, s.deviceOffset() / chunk(v));
      out.add(new RebuildStep.Reconstruct(st.index(), position, v.member(st.parityPosition()).device(), s));
    }
    return out;
  }
}
