package io.rackshare.blade;

import io.rackshare.driver.BlockStore;
import io.rackshare.map.ResourceDescriptor;
import org.apache.pekko.actor.typed.Behavior;

/**
 * A sharable resource found at start-up: its descriptor, its store (for block resources) and the
 * driver actor that owns it.
 */
public record DiscoveredResource(
    ResourceDescriptor descriptor, BlockStore store, Behavior<Void> driver) {}
