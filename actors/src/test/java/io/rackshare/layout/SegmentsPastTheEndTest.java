package io.rackshare.layout;

import static io.rackshare.layout.Volumes.build;
import static io.rackshare.layout.Volumes.disks;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.rackshare.map.DeviceSegment;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.Member;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * A target blade serves a segment only if its volume's layout owns it ({@link Layout#owns}): a
 * segment whose end lies past the volume or the device is never owned, even where offset plus
 * length overflows a long (the end of these segments is 2^63).
 */
class SegmentsPastTheEndTest {

  static final int BS = 4096;
  /** With {@code length = 101}: inside the last 64 KiB chunk below 2^63, ending exactly there. */
  static final long OFFSET = Long.MAX_VALUE - 100;

  static final List<Layout> LAYOUTS = List.of(new SpanLayout(), new Raid0Layout(), new Raid1Layout(),
      new Raid10Layout(), new Raid5Layout());

  @Test
  void noLayoutOwnsASegmentWhoseEndOverflows() {
    List<Executable> all = new ArrayList<>();
    for (Layout layout : LAYOUTS) {
      GlobalResourceDescriptor v = build(layout, disks(BS, 64, 1, 2, 3, 4), Map.of());
      List<Long> deviceOffsets = new ArrayList<>(List.of(0L, OFFSET));
      if (layout instanceof CopiesLayout copies && !(layout instanceof SpanLayout)) {
        // Where the layout itself would put that volume byte: the one offset it might accept.
        deviceOffsets.add(copies.place(v, OFFSET).deviceOffset());
      }
      for (Member m : v.members()) {
        for (long d : deviceOffsets) {
          for (boolean write : new boolean[] {false, true}) {
            all.add(() -> assertFalse(layout.owns(v, new DeviceSegment(m.device(), d, OFFSET, 101), write),
                layout.name() + ": volume bytes from " + OFFSET + " at " + m.device() + " offset " + d));
            all.add(() -> assertFalse(layout.owns(v, new DeviceSegment(m.device(), OFFSET, 0, 101), write),
                layout.name() + ": device bytes from " + OFFSET + " of " + m.device()));
            all.add(() -> assertFalse(layout.owns(v, DeviceSegment.parity(m.device(), OFFSET, 101), write),
                layout.name() + ": parity bytes from " + OFFSET + " of " + m.device()));
          }
        }
      }
    }
    assertAll(all);
  }
}
