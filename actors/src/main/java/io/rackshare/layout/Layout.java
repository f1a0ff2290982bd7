package io.rackshare.layout;

import io.rackshare.map.DevicePath;
import io.rackshare.map.DeviceSegment;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.map.VolumeSpec;
import java.util.List;

/**
 * A volume layout: how the manager aggregates member resources into a volume, and how a byte
 * range of the volume maps onto member devices. Layouts are plug-ins, named in {@code
 * rackshare.layouts}; each must be a pure function of its inputs, because every blade evaluates
 * it on its own copy of the map and the results must agree.
 */
public interface Layout {

  /** The name volumes use in {@code layout = ...}. */
  String name();

  /**
   * Builds the descriptor of {@code spec} from its members' descriptors, in the spec's member
   * order. Throws {@link IllegalArgumentException} with a clear message if the members do not fit
   * this layout.
   */
  GlobalResourceDescriptor build(VolumeSpec spec, List<ResourceDescriptor> members, long epoch);

  /**
   * The device segments serving {@code length} bytes at byte {@code offset} of the volume, in
   * volume order. The range must lie inside the volume (callers check).
   */
  List<DeviceSegment> segments(GlobalResourceDescriptor volume, long offset, int length);

  /**
   * Whether {@code segment} is exactly a piece of the volume under this layout: what a target
   * blade checks before serving a request sent with the volume's current epoch (0081).
   */
  default boolean owns(GlobalResourceDescriptor volume, DeviceSegment segment) {
    if (segment.volumeOffset() + segment.length() > volume.sizeBytes()) return false;
    return segments(volume, segment.volumeOffset(), segment.length()).contains(segment);
  }

  /** The devices a flush of the volume must reach. */
  default List<DevicePath> devices(GlobalResourceDescriptor volume) {
    return volume.members();
  }
}
