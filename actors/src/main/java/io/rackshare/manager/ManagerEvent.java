package io.rackshare.manager;

import io.rackshare.map.BladeId;
import io.rackshare.map.ConsoleRoute;
import io.rackshare.map.DevicePath;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.map.Member;
import io.rackshare.map.ResourceDescriptor;

/**
 * Every change of the manager's state is one of these events, applied by {@link
 * ManagerState#apply}: the content of the manager's journal. Every event that changes a volume
 * advances the map epoch.
 *
 * <p>They are stored as JSON (Pekko's Jackson serializer, bound in {@code reference.conf}), not
 * with Kryo like the messages between blades: a journal outlives the code that wrote it, and JSON
 * reads an older shape into a newer record (a field added later reads as its default, an unknown
 * one is ignored; renames go through a {@code JacksonMigration}). {@code ManagerEventsEvolveTest}
 * reads events written in an earlier shape.
 */
public sealed interface ManagerEvent {

  /** A blade registered (or re-registered) a resource; its blade is online. */
  record ResourceRegistered(ResourceDescriptor resource) implements ManagerEvent {}

  /** A blade left the cluster; its resources are offline until it registers again. */
  record BladeLost(BladeId blade) implements ManagerEvent {}

  /** A volume was aggregated from its members; the map epoch advances to the descriptor's. */
  record VolumeCreated(GlobalResourceDescriptor volume) implements ManagerEvent {}

  /**
   * The blade of part {@code part} of {@code volume} zeroed it up to {@code readyBlocks}: the
   * volume may use that much of it.
   */
  record PartReady(String volume, DevicePath part, long readyBlocks) implements ManagerEvent {}

  /**
   * Part {@code part} of a pooled disk is allocated to {@code volume} (self-healing: a failed
   * member's new place, which a {@link SpareActivated} then gives it).
   */
  record PartAllocated(String volume, io.rackshare.map.Part part) implements ManagerEvent {}

  /**
   * Volume {@code volume} grows to {@code growth}: {@code parts} are its parts with their new
   * extents, not ready until their blades zero them.
   */
  record VolumeGrowing(String volume, java.util.List<io.rackshare.map.Part> parts, io.rackshare.map.Growth growth)
      implements ManagerEvent {}

  /** Every part of {@code volume} is ready: it has the size of its growth. */
  record VolumeGrown(String volume) implements ManagerEvent {}

  /** Volume {@code volume} is removed; its parts' extents are free. */
  record VolumeRemoved(String volume) implements ManagerEvent {}

  /** An operator drains ({@code on}) or undrains {@code blade}. */
  record BladeDrainChanged(BladeId blade, boolean on) implements ManagerEvent {}

  /**
   * The member at {@code position} of {@code volume} starts moving to {@code target}, a new part
   * (its blade zeroes it, then copies the member into it; see {@link io.rackshare.map.Move}).
   */
  record MoveStarted(String volume, int position, io.rackshare.map.Part target) implements ManagerEvent {}

  /** The move of the member at {@code position} to {@code target} is copied: the target is the member now. */
  record MoveCompleted(String volume, int position, DevicePath target) implements ManagerEvent {}

  /** The move of the member at {@code position} to {@code target} ends without it (rolled back); the target's extents are free. */
  record MoveEnded(String volume, int position, DevicePath target, String reason) implements ManagerEvent {}

  /** Hot spare {@code spare} of {@code volume} is replaced by {@code by}, a part on another blade (a drain). */
  record SpareMoved(String volume, DevicePath spare, io.rackshare.map.Part by) implements ManagerEvent {}

  /** The console station on {@code route.station()} now shows {@code route.target()}'s console. */
  record ConsoleRouted(ConsoleRoute route) implements ManagerEvent {}

  /** A manager without state took over the newest map a blade reported. */
  record MapAdopted(GlobalResourceMap map) implements ManagerEvent {}

  /** An event about one member of one volume. */
  sealed interface MemberEvent extends ManagerEvent {
    String volume();

    int position();
  }

  /**
   * The member at {@code position} failed: {@code FAILED} if the volume goes on without it (it is
   * stale from now on), {@code OFFLINE} if its loss failed the volume (it stays in sync).
   */
  record MemberFailed(String volume, int position, DevicePath device, Member.State state, String reason)
      implements MemberEvent {}

  /** Hot spare {@code spare} takes the failed member's position and is rebuilt (0092). */
  record SpareActivated(String volume, int position, DevicePath failed, DevicePath spare) implements MemberEvent {}

  /**
   * A member's blade is back: an {@code OFFLINE} member is {@code ACTIVE} again as it is, a
   * {@code FAILED} one is resynchronised ({@code REBUILDING}) before it is read.
   */
  record MemberReturned(String volume, int position, DevicePath device, Member.State state) implements MemberEvent {}

  /**
   * The member at {@code position} lost its content: its device is memory that came back empty
   * (its blade restarted). It is rebuilt whole from the other copies; with none, the volume is lost.
   */
  record MemberLost(String volume, int position, DevicePath device, String reason) implements MemberEvent {}

  /** The rebuild of the member at {@code position} is complete: it is in sync. */
  record RebuildCompleted(String volume, int position, DevicePath device) implements MemberEvent {}
}
