package io.rackshare.access;

import com.typesafe.config.Config;
import java.time.Duration;

/** The access path's limits, from {@code rackshare.access}. */
public record AccessSettings(
    int maxSegmentBytes, int maxAttempts, Duration retryBackoff, Duration resyncDebounce,
    Duration confirmTimeout, Duration rebuildStepPause, int rebuildStepBytes) {

  public AccessSettings {
    if (maxSegmentBytes < 512) {
      throw new IllegalArgumentException("rackshare.access.max-segment-bytes must be >= 512");
    }
    if (maxAttempts < 1) throw new IllegalArgumentException("rackshare.access.max-attempts must be >= 1");
    if (rebuildStepBytes < 4096) {
      throw new IllegalArgumentException("rackshare.access.rebuild-step must be >= 4KiB");
    }
  }

  public static AccessSettings fromConfig(Config c) {
    return new AccessSettings(
        c.getBytes("max-segment-bytes").intValue(),
        c.getInt("max-attempts"),
        c.getDuration("retry-backoff"),
        c.getDuration("resync-debounce"),
        c.getDuration("confirm-timeout"),
        c.getDuration("rebuild-retry-pause"),
        c.getBytes("rebuild-step").intValue());
  }
}
