package io.rackshare.blade;

import io.rackshare.driver.BlockStore;
import io.rackshare.map.BladeId;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.smm.SmmHandler;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;

/**
 * A sharable resource found at start-up: its descriptor, its store (for block resources) and the
 * driver actor that owns it, which its blade starts as its child. {@code driver} is null for a
 * device served by another resource's driver (a console's keyboard and mouse by its video driver).
 */
public record DiscoveredResource(
    ResourceDescriptor descriptor, BlockStore store, Function<DriverContext, Behavior<Void>> driver) {

  /** What a resource driver gets from its blade: the blade, its SMM handler (the OOB channel), and the blade itself. */
  public record DriverContext(BladeId blade, ActorRef<SmmHandler.Command> smm, ActorRef<Blade.Command> bladeActor) {}

  /** A resource whose driver needs nothing from its blade. */
  public DiscoveredResource(ResourceDescriptor descriptor, BlockStore store, Behavior<Void> driver) {
    this(descriptor, store, c -> driver);
  }

  /** A device without a driver of its own. */
  public static DiscoveredResource servedElsewhere(ResourceDescriptor descriptor) {
    return new DiscoveredResource(descriptor, null, (Function<DriverContext, Behavior<Void>>) null);
  }
}
