package io.rackshare.testkit;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A service for {@link ServiceOnBladesTest}: created as a blade's ActorSystem starts, it logs
 * one line naming its blade's slot, as a real service would say where it listens.
 */
public final class GreetingService implements Extension {

  /** The line's marker. */
  static final String READY = "GREETING-SERVICE READY";

  private GreetingService(ActorSystem<?> system) {
    int slot = system.settings().config().getInt("rackshare.blade.slot");
    system.systemActorOf(Behaviors.setup(context -> {
      context.setLoggerName(GreetingService.class);
      context.getLog().info("{} slot={}", READY, slot);
      return Behaviors.empty();
    }), "greeting-service", Props.empty());
  }

  /** The extension's id. */
  public static final class Id extends ExtensionId<GreetingService> {
    private static final Id INSTANCE = new Id();

    /** Pekko's accessor for extensions named in configuration. */
    public static Id getInstance() {
      return INSTANCE;
    }

    @Override
    public GreetingService createExtension(ActorSystem<?> system) {
      return new GreetingService(system);
    }
  }
}
