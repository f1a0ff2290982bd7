package io.rackshare.access;

import com.typesafe.config.Config;
import java.time.Duration;

/** The access path's limits, from {@code rackshare.access}. */
public record AccessSettings(
    int maxSegmentBytes, int maxAttempts, Duration retryBackoff, Duration resyncDebounce,
    Duration confirmTimeout, Duration rebuildStepPause, int rebuildStepBytes, int rebuildDepth, String routing,
    Duration proxyTimeout, long resyncRegionBytes, Duration resyncWindow, Duration quorumTimeout,
    Duration stripeTimeout) {

  /** Figure 8a: each blade routes with its own copy of the map; I/O does not need the manager. */
  public static final String LOCAL_MAPS = "local-maps";
  /** Figure 8b: requests go through the manager's blade, which looks them up in the manager's map. */
  public static final String MANAGER_PROXY = "manager-proxy";

  public AccessSettings {
    if (maxSegmentBytes < 512) {
      throw new IllegalArgumentException("rackshare.access.max-segment-bytes must be >= 512");
    }
    if (maxAttempts < 1) throw new IllegalArgumentException("rackshare.access.max-attempts must be >= 1");
    if (rebuildStepBytes < 4096) {
      throw new IllegalArgumentException("rackshare.access.rebuild-step must be >= 4KiB");
    }
    if (resyncRegionBytes < 4096 || Long.bitCount(resyncRegionBytes) != 1) {
      throw new IllegalArgumentException("rackshare.access.resync-region = " + resyncRegionBytes
          + " must be a power of two >= 4KiB");
    }
    if (resyncWindow.isNegative()) throw new IllegalArgumentException("rackshare.access.resync-window must be >= 0");
    if (rebuildDepth < 1) throw new IllegalArgumentException("rackshare.access.rebuild-depth must be >= 1");
    if (!routing.equals(LOCAL_MAPS) && !routing.equals(MANAGER_PROXY)) {
      throw new IllegalArgumentException("rackshare.access.routing = " + routing + " must be " + LOCAL_MAPS
          + " or " + MANAGER_PROXY);
    }
  }

  public static AccessSettings fromConfig(Config c) {
    return new AccessSettings(
        io.rackshare.ConfigSizes.intBytes(c, "max-segment-bytes", "rackshare.access.max-segment-bytes"),
        c.getInt("max-attempts"),
        c.getDuration("retry-backoff"),
        c.getDuration("resync-debounce"),
        c.getDuration("confirm-timeout"),
        c.getDuration("rebuild-retry-pause"),
        io.rackshare.ConfigSizes.intBytes(c, "rebuild-step", "rackshare.access.rebuild-step"),
        c.getInt("rebuild-depth"),
        c.getString("routing"),
        c.getDuration("proxy-timeout"),
        c.getBytes("resync-region"),
        c.getDuration("resync-window"),
        c.getDuration("quorum-timeout"),
        c.getDuration("stripe-timeout"));
  }
}
