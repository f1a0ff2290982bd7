package io.rackshare.layout;

import io.rackshare.map.DeviceSegment;
import io.rackshare.map.GlobalResourceDescriptor;
import java.util.ArrayList;
import java.util.List;

/** What layouts plan, flattened for assertions. */
final class Plans {
  private Plans() {}

  /** The device segments a read of the range goes to (every piece must be direct). */
  static List<DeviceSegment> reads(Layout layout, GlobalResourceDescriptor v, long offset, int length) {
    List<DeviceSegment> out = new ArrayList<>();
    for (ReadPiece p : layout.reads(v, offset, length)) out.add(((ReadPiece.Direct) p).segment());
    return out;
  }

  /** The in-sync copies of a write of the range, piece by piece (every piece must be copies). */
  static List<List<DeviceSegment>> writes(Layout layout, GlobalResourceDescriptor v, long offset, int length) {
    List<List<DeviceSegment>> out = new ArrayList<>();
    for (WritePiece p : layout.writes(v, offset, length)) out.add(((WritePiece.Copies) p).inSync());
    return out;
  }
}
