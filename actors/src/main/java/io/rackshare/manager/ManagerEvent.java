package io.rackshare.manager;

import io.rackshare.map.BladeId;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.serialization.RackshareSerializable;

/**
 * Every change of the manager's state is one of these events, applied by {@link
 * ManagerState#apply}. They are the journal's content once the manager is event-sourced.
 */
public sealed interface ManagerEvent extends RackshareSerializable {

  /** A blade registered (or re-registered) a resource; its blade is online. */
  record ResourceRegistered(ResourceDescriptor resource) implements ManagerEvent {}

  /** A blade left the cluster; its resources are offline until it registers again. */
  record BladeLost(BladeId blade) implements ManagerEvent {}

  /** A volume was aggregated from its members; the map epoch advances to the descriptor's. */
  record VolumeCreated(GlobalResourceDescriptor volume) implements ManagerEvent {}

  /** A manager without state took over the newest map a blade reported. */
  record MapAdopted(GlobalResourceMap map) implements ManagerEvent {}
}
