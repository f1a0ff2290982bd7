package io.rackshare.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.DeviceSegment;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.ResourceConfig;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.map.VolumeSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SpanLayoutTest {

  static final int BS = 512;
  final SpanLayout span = new SpanLayout();

  /** Figure 9a/10a: blades 1-16 with one disk of 10 blocks each. */
  static GlobalResourceDescriptor patentVolume(SpanLayout layout) {
    List<ResourceDescriptor> members = new ArrayList<>();
    for (int slot = 1; slot <= 16; slot++) {
      members.add(new ResourceDescriptor(
          DevicePath.disk(new BladeId(1, 1, slot), 0), new ResourceConfig.Block(BS, 10)));
    }
    VolumeSpec spec = new VolumeSpec("V", "span",
        members.stream().map(ResourceDescriptor::path).toList(), Map.of());
    return layout.build(spec, members, List.of(), 1);
  }

  @Test
  void sixteenDisksOfTenBlocksMakeOneHundredSixtyBlocks() {
    GlobalResourceDescriptor v = patentVolume(span);
    assertEquals(160, v.capacityBlocks());
    assertEquals(16, v.extents().size());
    assertEquals(160L * BS, v.sizeBytes());
  }

  @Test
  void block57IsOnBlade6() {
    GlobalResourceDescriptor v = patentVolume(span);
    List<DeviceSegment> s = Plans.reads(span, v, 57L * BS, BS);
    assertEquals(1, s.size());
    assertEquals(6, s.get(0).blade().slot());
    assertEquals(7L * BS, s.get(0).deviceOffset());
    // And the first and last blocks, for the edges of the lookup table.
    assertEquals(1, Plans.reads(span, v, 0, 1).get(0).blade().slot());
    assertEquals(16, Plans.reads(span, v, 159L * BS, BS).get(0).blade().slot());
    assertEquals(9L * BS, Plans.reads(span, v, 159L * BS, BS).get(0).deviceOffset());
  }

  @Test
  void aRequestCrossingExtentsIsSplitAtTheBoundaries() {
    GlobalResourceDescriptor v = patentVolume(span);
    // From the middle of block 9 (blade 1) to the middle of block 30 (blade 4).
    long offset = 9L * BS + 100;
    int length = (int) (30L * BS + 200 - offset);
    List<DeviceSegment> s = Plans.reads(span, v, offset, length);
    assertEquals(4, s.size());
    assertEquals(new DeviceSegment(DevicePath.disk(new BladeId(1, 1, 1), 0), 9L * BS + 100, offset, BS - 100), s.get(0));
    assertEquals(new DeviceSegment(DevicePath.disk(new BladeId(1, 1, 2), 0), 0, 10L * BS, 10 * BS), s.get(1));
    assertEquals(new DeviceSegment(DevicePath.disk(new BladeId(1, 1, 3), 0), 0, 20L * BS, 10 * BS), s.get(2));
    assertEquals(new DeviceSegment(DevicePath.disk(new BladeId(1, 1, 4), 0), 0, 30L * BS, 200), s.get(3));
    assertEquals(length, s.stream().mapToInt(DeviceSegment::length).sum());
  }

  @Test
  void ownsOnlyExactPiecesOfTheVolume() {
    GlobalResourceDescriptor v = patentVolume(span);
    DeviceSegment good = Plans.reads(span, v, 57L * BS, BS).get(0);
    assertTrue(span.owns(v, good, false));
    assertFalse(span.owns(v, new DeviceSegment(DevicePath.disk(new BladeId(1, 1, 5), 0),
        good.deviceOffset(), good.volumeOffset(), good.length()), false));
    assertFalse(span.owns(v, new DeviceSegment(good.device(), good.deviceOffset() + BS,
        good.volumeOffset(), good.length()), false));
    assertFalse(span.owns(v, new DeviceSegment(good.device(), 0, 159L * BS, 2 * BS), false));
  }

  @Test
  void unequalDisksSpanInMemberOrder() {
    BladeId b1 = new BladeId(1, 1, 1);
    BladeId b2 = new BladeId(1, 1, 2);
    List<ResourceDescriptor> members = List.of(
        new ResourceDescriptor(DevicePath.disk(b2, 1), new ResourceConfig.Block(4096, 3)),
        new ResourceDescriptor(DevicePath.disk(b1, 0), new ResourceConfig.Block(4096, 5)));
    VolumeSpec spec = new VolumeSpec("u", "span", members.stream().map(ResourceDescriptor::path).toList(), Map.of());
    GlobalResourceDescriptor v = span.build(spec, members, List.of(), 4);
    assertEquals(8, v.capacityBlocks());
    assertEquals(4, v.epoch());
    DeviceSegment s = Plans.reads(span, v, 3 * 4096 + 5, 10).get(0);
    assertEquals(DevicePath.disk(b1, 0), s.device());
    assertEquals(5, s.deviceOffset());
  }

  @Test
  void mixedBlockSizesAreAClearError() {
    BladeId b1 = new BladeId(1, 1, 1);
    List<ResourceDescriptor> members = List.of(
        new ResourceDescriptor(DevicePath.disk(b1, 0), new ResourceConfig.Block(4096, 3)),
        new ResourceDescriptor(DevicePath.disk(b1, 1), new ResourceConfig.Block(512, 5)));
    VolumeSpec spec = new VolumeSpec("m", "span", members.stream().map(ResourceDescriptor::path).toList(), Map.of());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> span.build(spec, members, List.of(), 1));
    assertTrue(e.getMessage().contains("different block sizes"), e.getMessage());
  }
}
