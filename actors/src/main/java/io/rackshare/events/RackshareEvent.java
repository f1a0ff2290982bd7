package io.rackshare.events;

import io.rackshare.layout.Health;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import java.util.Optional;

/**
 * What a service embedding Rackshare can follow on its blade, through
 * {@link io.rackshare.Rackshare#subscribe(Class, org.apache.pekko.actor.typed.ActorRef)}: a
 * volume's health, where the global resource manager runs, and how far a rebuild has come. Every
 * event is this blade's view: its local copy of the global resource map, its SMM handler's
 * topology, the rebuild progress the rebuilding blade broadcasts over the OOB channel.
 *
 * <p>A subscriber first gets the current state as events (each volume's health with no
 * {@code previous}, the manager if one is known, the latest progress of each rebuild going on), as
 * Pekko Cluster's {@code initialStateAsEvents} does, then each change. Events of one kind arrive in
 * the order they happened on this blade.
 */
public sealed interface RackshareEvent {

  /**
   * A volume's health changed in this blade's map, or the volume appeared ({@code previous}
   * empty): its layout's judgement from its members' states (optimal, degraded, failed).
   *
   * @param mapEpoch the epoch of the map that shows it
   */
  record VolumeHealthChanged(String volume, Health health, Optional<Health> previous, long mapEpoch)
      implements RackshareEvent {

    /** The volume is new to this subscriber (first event, or the volume was just created). */
    public boolean appeared() {
      return previous.isEmpty();
    }
  }

  /** A volume left this blade's map: removed by an operator, or its medium ejected. */
  record VolumeRemoved(String volume, Health lastHealth, long mapEpoch) implements RackshareEvent {}

  /**
   * The global resource manager moved (nominated, failed over, handed over), as this blade's SMM
   * handler sees it: {@code manager} empty while no manager is known (between the death of one and
   * the start of the next, or on a side of a partition without a quorum).
   */
  record ManagerChanged(Optional<BladeId> manager, Optional<BladeId> previous) implements RackshareEvent {}

  /**
   * How far the rebuild of one member of a volume has come (sent by the rebuilding blade about
   * once a second, and once when it ends).
   *
   * @param position the member's position in the volume
   * @param device the device being rebuilt (a hot spare, or the member's own disk back again)
   * @param bytesPerSecond the recent speed (the average over the whole rebuild once finished)
   * @param finished the last event of this rebuild: every byte is copied (the map shows the member
   *     active once the manager has confirmed it, as a {@link VolumeHealthChanged})
   */
  record RebuildProgressed(String volume, int position, DevicePath device, long doneBytes, long totalBytes,
      double bytesPerSecond, boolean finished) implements RackshareEvent {

    /** Percent done, 0 to 100. */
    public double percent() {
      return totalBytes == 0 ? 100 : 100.0 * doneBytes / totalBytes;
    }
  }
}
