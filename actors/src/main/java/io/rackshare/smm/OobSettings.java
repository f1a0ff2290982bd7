package io.rackshare.smm;

import com.typesafe.config.Config;
import java.time.Duration;

/** The OOB channel's limits, from {@code rackshare.oob}. */
public record OobSettings(
    int maxInFlightPerTarget,
    int maxQueuedPerTarget,
    Duration requestTimeout,
    Duration tickInterval,
    Duration helloInterval,
    boolean dataLaneUnix) {

  public OobSettings {
    if (maxInFlightPerTarget < 1 || maxQueuedPerTarget < 0) {
      throw new IllegalArgumentException(
          "rackshare.oob: max-in-flight-per-target must be >= 1 and max-queued-per-target >= 0");
    }
  }

  /** Settings without a Unix-socket lane. */
  public OobSettings(int maxInFlightPerTarget, int maxQueuedPerTarget, Duration requestTimeout,
      Duration tickInterval, Duration helloInterval) {
    this(maxInFlightPerTarget, maxQueuedPerTarget, requestTimeout, tickInterval, helloInterval, false);
  }

  public static OobSettings fromConfig(Config c) {
    return new OobSettings(
        c.getInt("max-in-flight-per-target"),
        c.getInt("max-queued-per-target"),
        c.getDuration("request-timeout"),
        c.getDuration("tick-interval"),
        c.getDuration("hello-interval"),
        c.getBoolean("data-lane-unix"));
  }
}
