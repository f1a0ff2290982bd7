package io.rackshare.example.log;

import io.rackshare.Rackshare;
import io.rackshare.events.RackshareEvent.VolumeHealthChanged;
import io.rackshare.layout.Health;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Follows the health of the log's volume as this blade sees it, through Rackshare's typed
 * subscription ({@code Rackshare.subscribe}): the current health first, then each change, which it
 * logs ({@code LOG-SERVICE volume 'log' is DEGRADED: ...}) and keeps for {@code GET /health}.
 */
public final class VolumeHealthWatcher {

  private VolumeHealthWatcher() {}

  /**
   * The watcher's behavior.
   *
   * @param volume the log's volume
   * @param latest where the latest health is kept (read by the HTTP routes' threads)
   */
  public static Behavior<VolumeHealthChanged> create(String volume, AtomicReference<Health> latest) {
    return Behaviors.setup(context -> {
      Rackshare.get(context.getSystem()).subscribe(VolumeHealthChanged.class, context.getSelf());
      return Behaviors.receiveMessage(e -> {
        if (!e.volume().equals(volume)) return Behaviors.same();
        Health before = latest.getAndSet(e.health());
        if (before == null || before.status() != e.health().status()) {
          context.getLog().info("LOG-SERVICE volume '{}' is {}: {}", volume, e.health().status(), e.health().detail());
        }
        return Behaviors.same();
      });
    });
  }
}
