package io.rackshare.map;

import io.rackshare.serialization.RackshareSerializable;

/**
 * The shared console's entry in the global resource map (0100-0105, Figures 11-13): the console
 * station on {@code station} shows the screen of {@code video} and sends its keyboard's keys to
 * {@code keyboard} and its mouse's reports to {@code mouse}, all three the devices of one target
 * blade. The video router on the target sends frames only to the station the map routes to it,
 * and the keyboard router takes keys only from that station; switching the target is a change of
 * the map, at {@code epoch}.
 */
public record ConsoleRoute(BladeId station, DevicePath video, DevicePath keyboard, DevicePath mouse, long epoch)
    implements RackshareSerializable {

  public ConsoleRoute {
    if (station == null || video == null || keyboard == null || mouse == null) {
      throw new IllegalArgumentException("a console route needs a station and the target's three devices");
    }
    if (!video.blade().equals(keyboard.blade()) || !video.blade().equals(mouse.blade())) {
      throw new IllegalArgumentException("a console route's devices are on one blade: " + video + ", " + keyboard
          + ", " + mouse);
    }
  }

  /** The route from {@code station} to {@code target}'s console devices. */
  public static ConsoleRoute to(BladeId station, BladeId target, long epoch) {
    return new ConsoleRoute(station, DevicePath.video(target), DevicePath.keyboard(target), DevicePath.mouse(target),
        epoch);
  }

  /** The blade whose console the station shows. */
  @com.fasterxml.jackson.annotation.JsonIgnore
  public BladeId target() {
    return video.blade();
  }
}
