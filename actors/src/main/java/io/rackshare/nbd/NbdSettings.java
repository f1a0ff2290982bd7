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
    Duration drainTimeout,
    long memoryBudget,
    Duration memoryWait,
    int maxConnections,
    int maxHandshakingPerHost,
    long minPayloadRate,
    Duration payloadStallTimeout,
    NbdTls.Mode tlsMode,
    String tlsDir,
    boolean tlsVerifyClients) {

  public NbdSettings {
    if (port < 0 || port > 65535) throw new IllegalArgumentException("rackshare.nbd.port must be 0-65535");
    if (maxInFlightPerConnection < 1) {
      throw new IllegalArgumentException("rackshare.nbd.max-in-flight-per-connection must be >= 1");
    }
    if (maxPayload < 4096) throw new IllegalArgumentException("rackshare.nbd.max-payload must be >= 4KiB");
    if (memoryBudget == 0) memoryBudget = Math.min(256L << 20, Runtime.getRuntime().maxMemory() / 3);
    if (memoryBudget < maxPayload) {
      throw new IllegalArgumentException("rackshare.nbd.memory-budget (" + memoryBudget
          + " bytes) must hold at least one max-payload (" + maxPayload + ")");
    }
    if (maxConnections < 1 || maxHandshakingPerHost < 1) {
      throw new IllegalArgumentException("rackshare.nbd.max-connections and max-handshaking-per-host must be >= 1");
    }
    if (tlsMode != NbdTls.Mode.OFF && tlsDir.isBlank()) {
      throw new IllegalArgumentException("rackshare.nbd.tls.mode = " + tlsMode.name().toLowerCase(java.util.Locale.ROOT)
          + " needs a certificate: set rackshare.nbd.tls.dir (or rackshare.tls.dir)");
    }
    if (minPayloadRate < 1) throw new IllegalArgumentException("rackshare.nbd.min-payload-rate must be > 0");
  }

  /** {@code c}: {@code rackshare.nbd}; {@code bladeTlsDir}: {@code rackshare.tls.dir}, where tls.dir is "". */
  public static NbdSettings fromConfig(Config c, String bladeTlsDir) {
    String unix = c.getString("unix-socket");
    return new NbdSettings(
        c.getBoolean("enabled"),
        c.getString("hostname"),
        c.getInt("port"),
        unix.isEmpty() ? Optional.empty() : Optional.of(unix),
        c.getInt("max-in-flight-per-connection"),
        io.rackshare.ConfigSizes.intBytes(c, "max-payload", "rackshare.nbd.max-payload"),
        c.getDuration("handshake-timeout"),
        c.getDuration("drain-timeout"),
        c.getBytes("memory-budget"),
        c.getDuration("memory-wait"),
        c.getInt("max-connections"),
        c.getInt("max-handshaking-per-host"),
        c.getBytes("min-payload-rate"),
        c.getDuration("payload-stall-timeout"),
        tlsMode(c.getString("tls.mode"), c.getString("tls.dir").isBlank() ? bladeTlsDir : c.getString("tls.dir")),
        c.getString("tls.dir").isBlank() ? bladeTlsDir : c.getString("tls.dir"),
        c.getBoolean("tls.verify-clients"));
  }

  /** {@code auto}: offered ({@code on}) where there is a certificate ({@code dir}), else off. */
  static NbdTls.Mode tlsMode(String mode, String dir) {
    return switch (mode.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "auto" -> dir.isBlank() ? NbdTls.Mode.OFF : NbdTls.Mode.ON;
      case "off" -> NbdTls.Mode.OFF;
      case "on" -> NbdTls.Mode.ON;
      case "require" -> NbdTls.Mode.REQUIRE;
      default -> throw new IllegalArgumentException("rackshare.nbd.tls.mode: auto, off, on or require, not '" + mode + "'");
    };
  }
}
