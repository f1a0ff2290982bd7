package io.rackshare.blade;

import com.typesafe.config.Config;
import io.rackshare.map.BladeId;
import java.util.List;

/**
 * Finds one kind of sharable resource on a blade at start-up (0062-0063) and describes each with
 * a device path and its configuration. Plug-ins are listed in {@code rackshare.blade.discovery};
 * each needs a public no-argument constructor.
 */
public interface ResourceDiscovery {

  /**
   * Discovers the resources of this kind. {@code config} is the node's {@code rackshare} section
   * (disks are under {@code blade}, the console under {@code console}). A misconfiguration is an
   * {@link IllegalArgumentException} naming the setting.
   */
  List<DiscoveredResource> discover(BladeId blade, Config config);
}
