package io.rackshare.manager;

import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.smm.OobMessage;
import java.util.List;

/** What blades and the global resource manager say to each other over the OOB channel. */
public final class ManagerProtocol {
  private ManagerProtocol() {}

  /**
   * A blade's sharable resources (block 512), with the map it holds: a manager that starts
   * without state adopts the newest map the blades report, so a failover keeps the epoch going.
   */
  public record RegisterResources(
      BladeId blade, List<ResourceDescriptor> resources, GlobalResourceMap currentMap)
      implements OobMessage.ForManager {
    public RegisterResources {
      resources = List.copyOf(resources);
    }
  }

  /** A blade saw requests under a map epoch other than its own: resynchronise the maps (0081). */
  public record ResyncRequest(BladeId from, String volume, long seenEpoch, String reason)
      implements OobMessage.ForManager {}

  /**
   * Route the console station on {@code station} to {@code target}'s console devices; with {@code
   * keepExisting}, only if the station has no route yet (a station starting with its configured
   * target). Answered with {@link ConsoleRouteAnswer} once the route is journalled.
   */
  public record RouteConsole(BladeId station, BladeId target, boolean keepExisting)
      implements OobMessage.ForManager {}

  /** The station's route now ({@code route}), or why it was not changed ({@code refused}, else null). */
  public record ConsoleRouteAnswer(io.rackshare.map.ConsoleRoute route, String refused) implements OobMessage {}

  /**
   * Create volume {@code request} on the pool (an operator's command, checked for the operator
   * credential where it came in). Answered with {@link VolumeAnswer} once the placement is
   * journalled; the volume serves once its blades have zeroed its parts.
   */
  public record CreateVolume(io.rackshare.map.VolumeRequest request) implements OobMessage.ForManager {}

  /** The volume as placed ({@code volume}), or why not ({@code refused}, else null). */
  public record VolumeAnswer(io.rackshare.map.GlobalResourceDescriptor volume, String refused) implements OobMessage {}

  /**
   * Grow volume {@code volume} (one on the pool) to {@code sizeBytes}; answered with {@link
   * VolumeAnswer} once the growth is journalled (the volume takes the size once its blades have
   * zeroed the new extents).
   */
  public record GrowVolume(String volume, long sizeBytes) implements OobMessage.ForManager {}

  /**
   * Remove volume {@code volume} (one created on the pool); answered with {@link VolumeAnswer}
   * once the removal is journalled. The blade that asks has checked that no NBD client uses it
   * (unless the operator forced it), with {@link ExportClients}.
   */
  public record RemoveVolume(String volume) implements OobMessage.ForManager {}

  /** How many NBD clients the asked blade serves volume {@code volume} to; answered with {@link ExportClientsAnswer}. */
  public record ExportClients(String volume) implements OobMessage {}

  /**
   * The answer to {@link ExportClients}: the asked blade serves {@code volume} to {@code clients}
   * NBD clients now (0: none).
   */
  public record ExportClientsAnswer(String volume, int clients) implements OobMessage {}

  /** {@code from} zeroed part {@code part} of {@code volume} up to {@code readyBlocks}. */
  public record PartReady(BladeId from, String volume, DevicePath part, long readyBlocks)
      implements OobMessage.ForManager {}

  /** Asks for the current map; answered with a {@link MapUpdate}. */
  public record GetMap() implements OobMessage.ForManager {}

  /**
   * The global resource map, sent to blades (block 518); they store it as their local copy. Sent
   * as a request, it is answered with {@link MapInstalled} once the blade routes with it.
   */
  public record MapUpdate(GlobalResourceMap map, List<ResourceDescriptor> resources) implements OobMessage {
    /** {@code resources}: every resource the manager knows of, for the blades' status pages. */
    public MapUpdate {
      resources = List.copyOf(resources);
    }

    public MapUpdate(GlobalResourceMap map) {
      this(map, List.of());
    }
  }

  /** A blade routes with the map of this epoch. */
  public record MapInstalled(long epoch) implements OobMessage {}

  /**
   * A request on {@code device} failed (I/O error, time-out, its blade unreachable): drop it from
   * {@code volume}. Answered with {@link MapConfirmed} once the device's blade routes with a map
   * that no longer uses it, so it refuses requests made with older maps; {@code unreachable} says
   * its blade's connection was closed or refused (the process is gone), and then nobody waits.
   */
  public record MemberFailed(BladeId from, String volume, DevicePath device, long seenEpoch, String reason,
      boolean unreachable) implements OobMessage.ForManager {}

  /** Every blade of the cluster routes with a map of at least this epoch. */
  public record MapConfirmed(long epoch) implements OobMessage {}

  /**
   * The member at {@code position} of {@code volume}, {@code device}, being rebuilt since epoch
   * {@code since}, holds all its data now.
   */
  public record RebuildDone(BladeId from, String volume, int position, DevicePath device, long since)
      implements OobMessage.ForManager {}

  /**
   * The target {@code target} of the move of {@code volume}'s member at {@code position}, started
   * at epoch {@code since}, holds all the member's data now (its blade sends it until the map
   * shows the move done).
   */
  public record MoveDone(BladeId from, String volume, int position, DevicePath target, long since)
      implements OobMessage.ForManager {}

  /**
   * Drain ({@code on}) or undrain {@code blade}; answered with {@link DrainAnswer} once journalled.
   */
  public record DrainBlade(BladeId blade, boolean on) implements OobMessage.ForManager {}

  /** What a drain or undrain left to do ({@code moving}: the moves now under way), or why not ({@code refused}). */
  public record DrainAnswer(BladeId blade, boolean draining, java.util.List<String> moving, String refused)
      implements OobMessage {
    public DrainAnswer {
      moving = java.util.List.copyOf(moving);
    }
  }

  /**
   * How a rebuild goes, broadcast by the rebuilding blade every second or so; every blade keeps
   * the latest for its status.
   */
  public record RebuildProgress(String volume, int position, DevicePath device, long since, long doneBytes,
      long totalBytes, double bytesPerSecond, boolean finished) implements OobMessage {

    public double percent() {
      return totalBytes == 0 ? 100 : 100.0 * doneBytes / totalBytes;
    }

    /** Seconds left at the current speed, or -1 if unknown. */
    public long secondsLeft() {
      return bytesPerSecond <= 0 ? -1 : (long) Math.ceil((totalBytes - doneBytes) / bytesPerSecond);
    }
  }
}
