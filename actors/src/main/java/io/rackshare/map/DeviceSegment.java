package io.rackshare.map;

import io.rackshare.serialization.RackshareSerializable;

/**
 * A piece of a volume request that one device serves: {@code length} bytes at byte {@code
 * volumeOffset} of the volume are bytes {@code [deviceOffset, deviceOffset + length)} of {@code
 * device}. Layouts cut requests into segments; the access driver sends each to the blade that
 * owns the device. Parity bytes belong to no volume offset: their {@code volumeOffset} is {@link
 * #PARITY}.
 */
public record DeviceSegment(DevicePath device, long deviceOffset, long volumeOffset, int length)
    implements RackshareSerializable {

  /** The volume offset of parity bytes. */
  public static final long PARITY = -1;

  public DeviceSegment {
    if (device == null || deviceOffset < 0 || volumeOffset < PARITY || length < 0) {
      throw new IllegalArgumentException(
          "bad segment: " + device + " @" + deviceOffset + " vol@" + volumeOffset + " len " + length);
    }
  }

  public static DeviceSegment parity(DevicePath device, long deviceOffset, int length) {
    return new DeviceSegment(device, deviceOffset, PARITY, length);
  }

  public boolean isParity() {
    return volumeOffset == PARITY;
  }

  public BladeId blade() {
    return device.blade();
  }

  /** The part {@code [from, from + n)} of this segment. */
  public DeviceSegment slice(int from, int n) {
    return new DeviceSegment(device, deviceOffset + from, isParity() ? PARITY : volumeOffset + from, n);
  }
}
