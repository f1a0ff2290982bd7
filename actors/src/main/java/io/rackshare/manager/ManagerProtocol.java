package io.rackshare.manager;

import io.rackshare.map.BladeId;
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

  /** Asks for the current map; answered with a {@link MapUpdate}. */
  public record GetMap() implements OobMessage.ForManager {}

  /** The global resource map, sent to blades (block 518); they store it as their local copy. */
  public record MapUpdate(GlobalResourceMap map) implements OobMessage {}
}
