package io.rackshare;

import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.nbd.NbdServer;
import java.util.Objects;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Tells NBD clients that their export is gone: when this blade's map no longer has a volume, or
 * has another medium in a removable-media volume (ejected, or changed), the connections serving
 * it are closed with a log line saying why. (Their requests would fail anyway: a medium's device
 * serves only the medium it was opened on.) Runs on its own actor, fed by the blade's map
 * subscription.
 */
final class ExportClosing {
  private ExportClosing() {}

  static Behavior<GlobalResourceMap> create(NbdServer nbd) {
    return Behaviors.setup(ctx -> watching(nbd, null));
  }

  private static Behavior<GlobalResourceMap> watching(NbdServer nbd, GlobalResourceMap before) {
    return Behaviors.receiveMessage(now -> {
      if (before != null) {
        for (GlobalResourceDescriptor old : before.volumes().values()) {
          String why = why(old, now.volumes().get(old.name()));
          if (why != null) nbd.closeClientsOf(old.name(), why);
        }
      }
      return watching(nbd, now);
    });
  }

  /** Why clients of {@code old} must go, now that it is {@code now} (null: removed); null if they need not. */
  static String why(GlobalResourceDescriptor old, GlobalResourceDescriptor now) {
    boolean medium = old.layout().equals(io.rackshare.layout.MediaLayout.NAME);
    if (now == null) {
      return medium ? "its medium was ejected from " + old.devices().get(0) : "its volume was removed";
    }
    if (medium && !Objects.equals(old.member(0).incarnation(), now.member(0).incarnation())) {
      return "its medium in " + old.devices().get(0) + " was changed";
    }
    return null;
  }
}
