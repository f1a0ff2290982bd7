package io.rackshare.layout;

import io.rackshare.io.Ranges;
import io.rackshare.map.DevicePath;
import io.rackshare.map.DeviceSegment;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.Member;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.map.VolumeSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * The layouts in which every byte of the volume lives at one device offset on each member of a
 * copy set: spanned and striped (one copy), mirrored and striped mirrors (several). Reads go to
 * one in-sync copy, writes to every copy, a member is rebuilt by copying from another member of
 * its set. Subclasses say where a volume offset lives ({@link #place}) and how members group.
 */
abstract class CopiesLayout implements Layout {

  static final String PRIMARY = "primary";
  static final String BALANCED = "balanced";

  /**
   * Where volume byte {@code volumeOffset} lives: at {@code deviceOffset} on each member of
   * {@code positions}, for {@code run} bytes (up to the next chunk or member boundary).
   */
  record Place(int[] positions, long deviceOffset, long run) {}

  abstract Place place(GlobalResourceDescriptor v, long volumeOffset);

  /** The volume offset of byte {@code deviceOffset} of the member at {@code position}. */
  abstract long volumeOffsetOf(GlobalResourceDescriptor v, int position, long deviceOffset);

  /** Bytes from {@code deviceOffset} to the next chunk boundary on a member's device. */
  abstract long deviceRun(GlobalResourceDescriptor v, long deviceOffset);

  /** Members per copy set; sets are consecutive positions. */
  abstract int copiesOf(GlobalResourceDescriptor v);

  /** The copy sets, by member position: the volume fails when one has no member in sync. */
  final List<int[]> groups(GlobalResourceDescriptor v) {
    int copies = copiesOf(v);
    List<int[]> out = new ArrayList<>();
    for (int s = 0; s < v.members().size() / copies; s++) out.add(set(s, copies));
    return out;
  }

  /** The positions of copy set {@code s}. */
  static int[] set(int s, int copies) {
    int[] g = new int[copies];
    for (int j = 0; j < copies; j++) g[j] = s * copies + j;
    return g;
  }

  /** With {@code read-policy = balanced}, reads alternate copies every this many device bytes. */
  long readChunk(GlobalResourceDescriptor v) {
    return Long.MAX_VALUE;
  }

  @Override
  public List<ReadPiece> reads(GlobalResourceDescriptor v, long offset, int length) {
    return reads(v, offset, length, null);
  }

  /**
   * With {@code read-policy = balanced}, a reader that holds an in-sync copy of a piece reads it
   * from there, as DRBD does (no network, and its page cache); other readers alternate copies
   * every {@link #readChunk} bytes.
   */
  @Override
  public List<ReadPiece> reads(GlobalResourceDescriptor v, long offset, int length, io.rackshare.map.BladeId reader) {
    List<ReadPiece> out = new ArrayList<>(2);
    boolean balanced = BALANCED.equals(v.options().get(LayoutOptions.READ_POLICY));
    long chunk = balanced ? readChunk(v) : Long.MAX_VALUE;
    long pos = offset;
    long end = offset + length;
    List<Integer> readable = new ArrayList<>(4);
    while (pos < end) {
      Place p = place(v, pos);
      long n = Math.min(end - pos, p.run());
      if (balanced) n = Math.min(n, chunk - p.deviceOffset() % chunk);
      readable.clear();
      for (int i : p.positions()) if (v.member(i).readable()) readable.add(i);
      if (readable.isEmpty()) {
        throw new IllegalStateException("no in-sync copy of byte " + pos + " of '" + v.name() + "'");
      }
      int pick = readable.get(0);
      if (balanced) {
        pick = readable.get((int) ((p.deviceOffset() / chunk) % readable.size()));
        for (int i : readable) {
          if (v.member(i).device().blade().equals(reader)) pick = i;
        }
      }
      out.add(new ReadPiece.Direct(new DeviceSegment(v.member(pick).device(), p.deviceOffset(), pos, (int) n)));
      pos += n;
    }
    return out;
  }

  @Override
  public List<WritePiece> writes(GlobalResourceDescriptor v, long offset, int length) {
    List<WritePiece> out = new ArrayList<>(2);
    long pos = offset;
    long end = offset + length;
    while (pos < end) {
      Place p = place(v, pos);
      int n = (int) Math.min(end - pos, p.run());
      List<DeviceSegment> inSync = new ArrayList<>(p.positions().length);
      List<DeviceSegment> rebuilding = new ArrayList<>(1);
      for (int i : p.positions()) {
        Member m = v.member(i);
        DeviceSegment s = new DeviceSegment(m.device(), p.deviceOffset(), pos, n);
        if (m.state() == Member.State.ACTIVE) inSync.add(s);
        else if (m.state() == Member.State.REBUILDING) rebuilding.add(s);
      }
      if (inSync.isEmpty()) {
        throw new IllegalStateException("no in-sync copy of byte " + pos + " of '" + v.name() + "'");
      }
      out.add(new WritePiece.Copies(pos, n, inSync, rebuilding));
      pos += n;
    }
    return out;
  }

  @Override
  public boolean owns(GlobalResourceDescriptor v, DeviceSegment s, boolean write) {
    if (s.isParity() || s.length() == 0 || !Ranges.fits(s.volumeOffset(), s.length(), v.sizeBytes())) return false;
    Place p = place(v, s.volumeOffset());
    if (s.length() > p.run() || p.deviceOffset() != s.deviceOffset()) return false;
    for (int i : p.positions()) {
      Member m = v.member(i);
      if (m.device().equals(s.device())) return write ? m.writable() : m.readable();
    }
    return false;
  }

  @Override
  public Health health(GlobalResourceDescriptor v) {
    List<String> lost = new ArrayList<>();
    for (int[] g : groups(v)) {
      boolean any = false;
      for (int i : g) any |= v.member(i).state() == Member.State.ACTIVE;
      if (!any) {
        List<String> which = new ArrayList<>();
        for (int i : g) which.add(v.member(i).device() + " " + v.member(i).state());
        lost.add(String.join(", ", which));
      }
    }
    if (!lost.isEmpty()) {
      return new Health(Health.Status.FAILED, "no copy in sync of " + String.join("; of ", lost));
    }
    List<String> notInSync = new ArrayList<>();
    for (Member m : v.members()) {
      if (m.state() != Member.State.ACTIVE) notInSync.add(m.device() + " " + m.state());
    }
    return notInSync.isEmpty() ? Health.OPTIMAL
        : new Health(Health.Status.DEGRADED, String.join(", ", notInSync));
  }

  @Override
  public boolean mayHold(GlobalResourceDescriptor v, int position, DevicePath device) {
    for (int[] g : groups(v)) {
      if (!contains(g, position)) continue;
      for (int i : g) {
        if (i != position && v.member(i).blade().equals(device.blade())) return false;
      }
    }
    return true;
  }

  @Override
  public List<DeviceSegment> memberSegments(GlobalResourceDescriptor v, int position, long deviceOffset, int length) {
    List<DeviceSegment> out = new ArrayList<>();
    DevicePath device = v.member(position).device();
    long pos = deviceOffset;
    long end = deviceOffset + length;
    while (pos < end) {
      int n = (int) Math.min(end - pos, deviceRun(v, pos));
      out.add(new DeviceSegment(device, pos, volumeOffsetOf(v, position, pos), n));
      pos += n;
    }
    return out;
  }

  @Override
  public List<RebuildStep> rebuild(GlobalResourceDescriptor v, int position, long deviceOffset, int length) {
    int source = -1;
    for (int[] g : groups(v)) {
      if (!contains(g, position)) continue;
      for (int i : g) {
        if (i != position && v.member(i).readable()) {
          source = i;
          break;
        }
      }
    }
    if (source < 0) {
      throw new IllegalStateException("no in-sync copy to rebuild " + v.member(position).device() + " from");
    }
    List<RebuildStep> out = new ArrayList<>();
    long pos = deviceOffset;
    long end = deviceOffset + length;
    while (pos < end) {
      int n = (int) Math.min(end - pos, deviceRun(v, pos));
      long vo = volumeOffsetOf(v, position, pos);
      out.add(new RebuildStep.Copy(
          new DeviceSegment(v.member(source).device(), pos, vo, n),
          new DeviceSegment(v.member(position).device(), pos, vo, n)));
      pos += n;
    }
    return out;
  }

  /** The other members of its copy set: each holds the same bytes at the same device offsets. */
  @Override
  public List<Integer> witnesses(GlobalResourceDescriptor v, int position) {
    List<Integer> out = new ArrayList<>();
    for (int[] g : groups(v)) {
      if (!contains(g, position)) continue;
      for (int i : g) if (i != position) out.add(i);
    }
    return out;
  }

  static boolean contains(int[] g, int position) {
    for (int i : g) if (i == position) return true;
    return false;
  }

  // ---- building -------------------------------------------------------------------------------

  /**
   * Orders {@code members} into copy sets of {@code copies}, keeping the operator's order where it
   * can: each member joins the first set that has room and no member on its blade, so that no two
   * copies of a block sit on one blade. A clear error if that cannot be done.
   */
  static List<ResourceDescriptor> placeCopies(VolumeSpec spec, List<ResourceDescriptor> members, int copies) {
    if (members.size() % copies != 0) {
      throw new IllegalArgumentException(members.size() + " members do not divide into sets of "
          + copies + " copies");
    }
    int sets = members.size() / copies;
    List<List<ResourceDescriptor>> groups = new ArrayList<>();
    for (int i = 0; i < sets; i++) groups.add(new ArrayList<>());
    for (ResourceDescriptor m : members) {
      boolean placed = false;
      for (List<ResourceDescriptor> g : groups) {
        if (g.size() < copies && g.stream().noneMatch(o -> o.path().blade().equals(m.path().blade()))) {
          g.add(m);
          placed = true;
          break;
        }
      }
      if (!placed) {
        throw new IllegalArgumentException("cannot place " + m.path() + " so that no two copies of a block"
            + " share a blade: list members from at least " + copies + " blades, each blade's disks spread");
      }
    }
    List<ResourceDescriptor> out = new ArrayList<>();
    groups.forEach(out::addAll);
    return out;
  }

  /** The smallest member's block count, rounded down to {@code unitBlocks}. */
  static long memberBlocks(List<ResourceDescriptor> members, long unitBlocks) {
    long min = Long.MAX_VALUE;
    for (ResourceDescriptor m : members) min = Math.min(min, m.block().blockCount());
    long blocks = min / unitBlocks * unitBlocks;
    if (blocks == 0) {
      throw new IllegalArgumentException("members of " + min + " blocks are smaller than one chunk of "
          + unitBlocks + " blocks");
    }
    return blocks;
  }

  /** Spares must have the members' block size and at least {@code memberBlocks}. */
  static void checkSpares(VolumeSpec spec, List<ResourceDescriptor> spares, int blockSize, long memberBlocks,
      boolean redundant) {
    if (!spares.isEmpty() && !redundant) {
      throw new IllegalArgumentException("layout " + spec.layout() + " has no redundancy to rebuild a spare from");
    }
    for (ResourceDescriptor s : spares) {
      if (s.block().blockSize() != blockSize || s.block().blockCount() < memberBlocks) {
        throw new IllegalArgumentException("spare " + s.path() + " (" + s.block().blockCount() + " blocks of "
            + s.block().blockSize() + ") is smaller than a member (" + memberBlocks + " blocks of " + blockSize + ")");
      }
    }
  }

  static List<Member> active(List<ResourceDescriptor> members, long epoch) {
    return members.stream().map(m -> Member.active(m.path(), epoch)).toList();
  }

  static List<DevicePath> paths(List<ResourceDescriptor> rs) {
    return rs.stream().map(ResourceDescriptor::path).toList();
  }
}
