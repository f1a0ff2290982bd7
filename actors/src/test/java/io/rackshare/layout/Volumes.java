package io.rackshare.layout;

import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.Member;
import io.rackshare.map.ResourceConfig;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.map.VolumeSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Builds volumes of one disk per blade for layout tests. */
final class Volumes {
  private Volumes() {}

  static DevicePath disk(int slot, int index) {
    return DevicePath.disk(new BladeId(1, 1, slot), index);
  }

  static ResourceDescriptor resource(DevicePath d, int blockSize, long blocks) {
    return new ResourceDescriptor(d, new ResourceConfig.Block(blockSize, blocks));
  }

  /** Disk 0 of each blade in {@code slots}, {@code blocks} blocks of {@code blockSize}. */
  static List<ResourceDescriptor> disks(int blockSize, long blocks, int... slots) {
    List<ResourceDescriptor> out = new ArrayList<>();
    for (int s : slots) out.add(resource(disk(s, 0), blockSize, blocks));
    return out;
  }

  static GlobalResourceDescriptor build(Layout layout, List<ResourceDescriptor> members,
      List<ResourceDescriptor> spares, Map<String, String> options) {
    VolumeSpec spec = new VolumeSpec("v", layout.name(), members.stream().map(ResourceDescriptor::path).toList(),
        spares.stream().map(ResourceDescriptor::path).toList(), options);
    return layout.build(spec, members, spares, 1);
  }

  static GlobalResourceDescriptor build(Layout layout, List<ResourceDescriptor> members, Map<String, String> options) {
    return build(layout, members, List.of(), options);
  }

  /** {@code v} with the member at {@code position} in {@code state}, one epoch later. */
  static GlobalResourceDescriptor with(GlobalResourceDescriptor v, int position, Member.State state) {
    return v.withMember(position, v.member(position).with(state, v.epoch() + 1), v.epoch() + 1);
  }
}
