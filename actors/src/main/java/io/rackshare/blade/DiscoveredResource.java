package io.rackshare.blade;

import io.rackshare.driver.BlockDriver;
import io.rackshare.map.ResourceDescriptor;
import org.apache.pekko.actor.typed.Behavior;

/** A sharable resource found at start-up: its descriptor and the driver that serves it. */
public record DiscoveredResource(ResourceDescriptor descriptor, Behavior<BlockDriver.Command> driver) {}
