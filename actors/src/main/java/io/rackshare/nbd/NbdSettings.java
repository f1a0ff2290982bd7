package io.rackshare.nbd;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Optional;

/** The NBD front end's settings, from {@code rackshare.nbd}. */
public record NbdSettings(
    boolean enabled,
    String hostname,
    int port,
    Optional<String> unixSocket,
    int maxInFlightPerConnection,
    int maxPayload,
    Duration handshakeTimeout,
    Duration drainTimeout) {

  public NbdSettings {
    if (port < 0 || port > 65535) throw new IllegalArgumentException("rackshare.nbd.port must be 0-65535");
    if (maxInFlightPerConnection < 1) {
      throw new IllegalArgumentException("rackshare.nbd.max-in-flight-per-connection must be >= 1");
    }
    if (maxPayload < 4096) throw new IllegalArgumentException("rackshare.nbd.max-payload must be >= 4KiB");
  }

  public static NbdSettings fromConfig(Config c) {
    String unix = c.getString("unix-socket");
    return new NbdSettings(
        c.getBoolean("enabled"),
        c.getString("hostname"),
        c.getInt("port"),
        unix.isEmpty() ? Optional.empty() : Optional.of(unix),
        c.getInt("max-in-flight-per-connection"),
        c.getBytes("max-payload").intValue(),
        c.getDuration("handshake-timeout"),
        c.getDuration("drain-timeout"));
  }
}
