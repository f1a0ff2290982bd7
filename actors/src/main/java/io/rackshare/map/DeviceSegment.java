package io.rackshare.map;

import io.rackshare.serialization.RackshareSerializable;

/**
 * A piece of a volume request that one device serves: {@code length} bytes at byte {@code
 * volumeOffset} of the volume are bytes {@code [deviceOffset, deviceOffset + length)} of {@code
 * device}. Layouts cut requests into segments; the access driver sends each to the blade that
 * owns the device.
 */
public record DeviceSegment(DevicePath device, long deviceOffset, long volumeOffset, int length)
    implements RackshareSerializable {

  public DeviceSegment {
    if (device == null || deviceOffset < 0 || volumeOffset < 0 || length < 0) {
      throw new IllegalArgumentException(
          "bad segment: " + device + " @" + deviceOffset + " vol@" + volumeOffset + " len " + length);
    }
  }

  public BladeId blade() {
    return device.blade();
  }
}
