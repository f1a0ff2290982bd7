package io.rackshare.layout;

import io.rackshare.map.DevicePath;
import io.rackshare.map.DeviceSegment;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.Member;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.map.VolumeSpec;
import java.util.List;

/**
 * A volume layout: how the manager aggregates member resources into a volume, and how a byte
 * range of the volume maps onto member devices for reads, writes and rebuilds. Layouts are
 * plug-ins, named in {@code rackshare.layouts}; each must be a pure function of its inputs,
 * because every blade evaluates it on its own copy of the map and the results must agree.
 * Members are addressed by position; their states ({@link Member.State}) decide which are read
 * and written.
 */
public interface Layout {

  /** The name volumes use in {@code layout = ...}. */
  String name();

  /**
   * For a volume allocated by size from the pool ({@code manager.Pool}): how many members it takes
   * for {@code copies} and {@code width} (0: this layout's defaults), how many of them hold
   * distinct data, and the options that say so. A clear error if they do not fit this layout.
   */
  default Shape shape(int copies, int width) {
    throw new IllegalArgumentException("layout " + name() + " cannot be allocated by size");
  }

  /**
   * {@code members} in all, {@code dataMembers} of them with distinct data (the rest hold copies
   * or parity), the layout options that say so; {@code members} 0: as many as the size takes.
   */
  record Shape(int members, int dataMembers, java.util.Map<String, String> options) {}

  /**
   * The positions whose members a volume on the pool extends at their ends to grow, every block
   * it holds keeping its place (its stripes, copies and parity are where they were, the new ones
   * follow); empty: it cannot grow so (the default).
   */
  default List<Integer> growingMembers(GlobalResourceDescriptor volume) {
    return List.of();
  }

  /** Every position, for layouts whose blocks' places do not depend on the member size. */
  static List<Integer> all(GlobalResourceDescriptor volume) {
    return java.util.stream.IntStream.range(0, volume.members().size()).boxed().toList();
  }

  /** No copies asked for beyond one: a clear error otherwise. */
  static void single(String layout, int copies) {
    if (copies > 1) throw new IllegalArgumentException("layout " + layout + " keeps no copies (asked for " + copies + ")");
  }

  /** {@code value}, or {@code orElse} for 0; at least {@code min}, else a clear error naming {@code what}. */
  static int atLeast(String layout, String what, int value, int orElse, int min) {
    int v = value == 0 ? orElse : value;
    if (v < min) throw new IllegalArgumentException("layout " + layout + " needs " + what + " of at least " + min + ", got " + v);
    return v;
  }

  /**
   * Builds the descriptor of {@code spec} from its members' and spares' descriptors, in the
   * spec's order. Throws {@link IllegalArgumentException} with a clear message if they or the
   * options do not fit this layout.
   */
  GlobalResourceDescriptor build(
      VolumeSpec spec, List<ResourceDescriptor> members, List<ResourceDescriptor> spares, long epoch);

  /**
   * How to read {@code length} bytes at byte {@code offset} of the volume, in volume order. The
   * range must lie inside the volume and the volume must not have {@link Health#failed()}.
   */
  List<ReadPiece> reads(GlobalResourceDescriptor volume, long offset, int length);

  /**
   * As above, for a read planned on blade {@code reader}: a layout with copies may read the
   * reader's own copy (no network). The default ignores the reader.
   */
  default List<ReadPiece> reads(GlobalResourceDescriptor volume, long offset, int length,
      io.rackshare.map.BladeId reader) {
    return reads(volume, offset, length);
  }

  /** How to write {@code length} bytes at byte {@code offset}, in volume order (same rules). */
  List<WritePiece> writes(GlobalResourceDescriptor volume, long offset, int length);

  /**
   * Whether {@code segment} is exactly a piece of the volume (or of its parity) under this layout
   * on a member that may be read ({@code write == false}) or written: what a target blade checks
   * before serving a request sent with the volume's current epoch (0081).
   */
  boolean owns(GlobalResourceDescriptor volume, DeviceSegment segment, boolean write);

  /** Whether the volume can serve, from its members' states. */
  Health health(GlobalResourceDescriptor volume);

  /** Whether a member can be rebuilt from the others (and spares make sense). */
  boolean redundant();

  /** Whether the volume refuses writes (removable media): the default, no. */
  default boolean readOnly() {
    return false;
  }

  /**
   * Whether {@code device} may take the place of the member at {@code position} (a spare, or the
   * same device coming back) without putting two copies of a block on one blade.
   */
  boolean mayHold(GlobalResourceDescriptor volume, int position, DevicePath device);

  /**
   * How to give the member at {@code position} its content back for device bytes {@code
   * [deviceOffset, deviceOffset + length)} of its data area (below {@link
   * GlobalResourceDescriptor#memberBytes()}), in device order.
   */
  List<RebuildStep> rebuild(GlobalResourceDescriptor volume, int position, long deviceOffset, int length);

  /**
   * The positions whose devices were written with every byte the member at {@code position}
   * holds, at the same device offsets: the copies that can say which regions it missed while
   * it was out of sync. Empty (the default): a member coming back is rebuilt whole.
   */
  default List<Integer> witnesses(GlobalResourceDescriptor volume, int position) {
    return List.of();
  }

  /** How many bytes of a member's device a rebuild covers (its data area). */
  default long rebuildBytes(GlobalResourceDescriptor volume) {
    return volume.memberBytes();
  }

  /**
   * The device bytes {@code {start, end}} of the member at {@code position} that hold the
   * volume's data (or parity): what a move of the member copies to its new place, at the same
   * offsets. The default: its data area, as a rebuild covers.
   */
  default long[] moveRange(GlobalResourceDescriptor volume, int position) {
    return new long[] {0, rebuildBytes(volume)};
  }

  /**
   * Device bytes {@code [deviceOffset, deviceOffset + length)} of the member at {@code position}
   * (inside its {@link #moveRange}) as the segments this layout reads and writes there, in
   * device order: what a move reads from the member and writes to its new place.
   */
  List<DeviceSegment> memberSegments(GlobalResourceDescriptor volume, int position, long deviceOffset, int length);

  /** The devices a flush of the volume must reach: every member that is written. */
  default List<DevicePath> devices(GlobalResourceDescriptor volume) {
    return volume.members().stream().filter(Member::writable).map(Member::device).toList();
  }
}
