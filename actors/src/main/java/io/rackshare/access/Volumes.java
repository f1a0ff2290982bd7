package io.rackshare.access;

import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.GlobalResourceMap;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/** Hands out {@link BlockDevice}s for the volumes of this blade's local map. */
public final class Volumes {
  private final Supplier<GlobalResourceMap> map;
  private final ActorRef<AccessDriver.Command> access;
  private final ActorSystem<?> system;
  private final Duration callTimeout;

  public Volumes(
      Supplier<GlobalResourceMap> map,
      ActorRef<AccessDriver.Command> access,
      ActorSystem<?> system,
      Duration callTimeout) {
    this.map = map;
    this.access = access;
    this.system = system;
    this.callTimeout = callTimeout;
  }

  public Optional<BlockDevice> volume(String name) {
    return map.get().volume(name).map(d -> device(name));
  }

  public CompletionStage<BlockDevice> await(String name, Duration timeout) {
    return AskPattern.<AccessDriver.Command, GlobalResourceDescriptor>ask(
            access, r -> new AccessDriver.AwaitVolume(name, r), timeout, system.scheduler())
        .thenApply(d -> device(name));
  }

  private BlockDevice device(String name) {
    Supplier<GlobalResourceDescriptor> current = () -> map.get().volumes().get(name);
    return new Volume(name, current, access, system, callTimeout);
  }
}
