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
    boolean dataLaneUnix,
    boolean dataLaneTls,
    long dataLaneMemory) {

  /** The default of {@code rackshare.oob.data-lane-memory}. */
  public static final long DATA_LANE_MEMORY = 256L << 20;

  public OobSettings {
    if (maxInFlightPerTarget < 1 || maxQueuedPerTarget < 0) {
      throw new IllegalArgumentException(
          "rackshare.oob: max-in-flight-per-target must be >= 1 and max-queued-per-target >= 0");
    }
    positive("request-timeout", requestTimeout);
    positive("tick-interval", tickInterval);
    positive("hello-interval", helloInterval);
    if (dataLaneMemory < (64L << 20)) {
      throw new IllegalArgumentException("rackshare.oob.data-lane-memory must be at least 64MiB (a frame's largest)");
    }
  }

  private static void positive(String name, Duration value) {
    if (value.isZero() || value.isNegative()) {
      throw new IllegalArgumentException("rackshare.oob." + name + " = " + value + ": must be more than 0");
    }
  }

  /** Settings without a Unix-socket lane. */
  public OobSettings(int maxInFlightPerTarget, int maxQueuedPerTarget, Duration requestTimeout,
      Duration tickInterval, Duration helloInterval) {
    this(maxInFlightPerTarget, maxQueuedPerTarget, requestTimeout, tickInterval, helloInterval, false);
  }

  /** Settings with the default lane memory, TLS wherever the lane is given a TLS context. */
  public OobSettings(int maxInFlightPerTarget, int maxQueuedPerTarget, Duration requestTimeout,
      Duration tickInterval, Duration helloInterval, boolean dataLaneUnix) {
    this(maxInFlightPerTarget, maxQueuedPerTarget, requestTimeout, tickInterval, helloInterval, dataLaneUnix, true,
        DATA_LANE_MEMORY);
  }

  public static OobSettings fromConfig(Config c) {
    return new OobSettings(
        c.getInt("max-in-flight-per-target"),
        c.getInt("max-queued-per-target"),
        c.getDuration("request-timeout"),
        c.getDuration("tick-interval"),
        c.getDuration("hello-interval"),
        c.getBoolean("data-lane-unix"),
        c.getBoolean("data-lane-tls"),
        c.getBytes("data-lane-memory"));
  }
}
