package io.rackshare.layout;

import io.rackshare.map.DevicePath;
import io.rackshare.map.DeviceSegment;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.Member;
import io.rackshare.map.Move;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a member's move ({@link Move}) adds to any layout, evaluated by every blade on its own
 * map: the target gets every write of the member, at the same device offsets, after the member
 * (so the copy, which locks the target's range while it reads the member and writes the target,
 * never puts older bytes over newer ones); the target's blade accepts those writes; flushes
 * reach it. Reads never go to a target.
 */
public final class Moves {
  private Moves() {}

  /** The writes of {@code segments} that also go to a move's target: the same bytes at the same offsets there. */
  public static List<DeviceSegment> shadows(GlobalResourceDescriptor v, List<DeviceSegment> segments) {
    if (v.moves().isEmpty()) return List.of();
    List<DeviceSegment> out = new ArrayList<>(1);
    for (DeviceSegment s : segments) {
      shadow(v, s).ifPresent(out::add);
    }
    return out;
  }

  /** Where the write of {@code s} goes as well, if its member is moving. */
  public static Optional<DeviceSegment> shadow(GlobalResourceDescriptor v, DeviceSegment s) {
    for (Move m : v.moves()) {
      Member member = v.member(m.position());
      if (member.device().equals(s.device()) && member.state() == Member.State.ACTIVE) {
        return Optional.of(on(s, m.target()));
      }
    }
    return Optional.empty();
  }

  /**
   * Whether {@code s}, sent to a move's target, is a write the layout would send to the moving
   * member (so the target takes it), or a read of it by the move's copy.
   */
  public static boolean owns(Layout layout, GlobalResourceDescriptor v, DeviceSegment s, boolean write) {
    Optional<Move> m = v.moveTo(s.device());
    if (m.isEmpty() || !write) return false;
    Member member = v.member(m.get().position());
    return member.state() == Member.State.ACTIVE && layout.owns(v, on(s, member.device()), true);
  }

  /** The devices a flush of the volume reaches: the layout's, and every move's target. */
  public static List<DevicePath> flushed(Layout layout, GlobalResourceDescriptor v) {
    List<DevicePath> out = new ArrayList<>(layout.devices(v));
    for (Move m : v.moves()) {
      if (!out.contains(m.target())) out.add(m.target());
    }
    return out;
  }

  /** {@code s} on {@code device}. */
  public static DeviceSegment on(DeviceSegment s, DevicePath device) {
    return new DeviceSegment(device, s.deviceOffset(), s.volumeOffset(), s.length());
  }
}
