package io.rackshare;

import com.typesafe.config.Config;
import io.rackshare.access.AccessSettings;
import io.rackshare.layout.Layouts;
import io.rackshare.map.BladeId;
import io.rackshare.map.VolumeSpec;
import io.rackshare.nbd.NbdSettings;
import io.rackshare.smm.OobSettings;
import java.time.Duration;
import java.util.List;

/**
 * Everything under {@code rackshare} in the configuration, checked at start-up: a bad setting is
 * an {@link IllegalArgumentException} that names it, before any actor starts.
 */
public record RackshareSettings(
    BladeId blade,
    Config bladeConfig,
    List<String> discovery,
    List<VolumeSpec> volumes,
    Layouts layouts,
    OobSettings oob,
    AccessSettings access,
    int dataLanePort,
    Duration resyncDebounce,
    Duration confirmTimeout,
    Duration offlineRetry,
    String nomination,
    String journalPlugin,
    String snapshotPlugin,
    int snapshotEvery,
    io.rackshare.manager.ManagerBackup.Settings backup,
    io.rackshare.manager.ManagerSeat.Settings seat,
    String leaseClass,
    Duration fenceAfter,
    Duration replaceFailedAfter,
    io.rackshare.manager.Pool.Settings pool,
    java.nio.file.Path dataDir,
    NbdSettings nbd,
    Management management,
    String tlsDir) {

  /** {@code rackshare.pool}: the extent size and the failure domain members keep apart. */
  static io.rackshare.manager.Pool.Settings pool(com.typesafe.config.Config c) {
    long extent = c.getBytes("pool.extent-size");
    if (extent < 4096 || Long.bitCount(extent) != 1) {
      throw new IllegalArgumentException("rackshare.pool.extent-size: a power of two of at least 4 KiB, not " + extent);
    }
    return new io.rackshare.manager.Pool.Settings(extent,
        io.rackshare.manager.Pool.Domain.parse(c.getString("pool.failure-domain")), c.getInt("pool.max-moves"),
        c.getDuration("pool.move-retry-after"));
  }

  /** A duration setting that may be "off" (null). */
  static Duration offOrDuration(com.typesafe.config.Config c, String path) {
    if (c.getValue(path).valueType() == com.typesafe.config.ConfigValueType.STRING
        && c.getString(path).equals("off")) {
      return null;
    }
    if (c.getValue(path).valueType() == com.typesafe.config.ConfigValueType.BOOLEAN && !c.getBoolean(path)) return null;
    Duration d = c.getDuration(path);
    if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("rackshare." + path + ": off or a positive duration, not " + d);
    return d;
  }

  /**
   * The management endpoint ({@code rackshare.management}); {@code https}: served over TLS with
   * the blade's certificate.
   */
  public record Management(boolean enabled, String hostname, int port, java.nio.file.Path tokenFile, boolean https) {}

  /**
   * {@code rackshare.management.tls}: on, off, or auto (HTTPS unless the endpoint listens on a
   * loopback address only, where TLS would protect nothing the host's kernel does not).
   */
  static boolean https(String mode, String hostname, String tlsDir) {
    return https("rackshare.management", "tls", mode, hostname, tlsDir);
  }

  /** As above, for the listener {@code setting} whose mode is {@code setting.key}. */
  public static boolean https(String setting, String key, String mode, String hostname, String tlsDir) {
    boolean on = switch (mode) {
      case "on" -> true;
      case "off" -> false;
      case "auto" -> !loopback(hostname);
      default -> throw new IllegalArgumentException(setting + "." + key + " = " + mode + " must be auto, on or off");
    };
    if (on && tlsDir.isBlank()) {
      throw new IllegalArgumentException(setting + " listens on " + hostname + ", beyond this host, and needs"
          + " the blade's certificate for HTTPS (rackshare.tls.dir); " + setting + "." + key + " = off serves plain HTTP");
    }
    return on;
  }

  static boolean loopback(String hostname) {
    try {
      return java.net.InetAddress.getByName(hostname).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException("rackshare.management.hostname = " + hostname + ": unknown host");
    }
  }

  static String nomination(String n) {
    if (!n.equals("first-in") && !n.equals("lowest-slot")) {
      throw new IllegalArgumentException("rackshare.manager.nomination = " + n + " must be first-in or lowest-slot");
    }
    return n;
  }

  public static RackshareSettings fromConfig(Config root) {
    Config c = root.getConfig("rackshare");
    try {
      Config blade = c.getConfig("blade");
      // The blade's certificate directory, where TLS is on (rackshare.tls, set by the node's launcher).
      String tlsDir = c.hasPath("tls.dir") && (!c.hasPath("tls.enabled") || c.getBoolean("tls.enabled"))
          ? c.getString("tls.dir") : "";
      Layouts layouts = Layouts.fromConfig(c.getConfig("layouts"));
      List<VolumeSpec> volumes = VolumeSpec.listFromConfig(c, "volumes");
      java.util.Map<io.rackshare.map.DevicePath, String> usedBy = new java.util.HashMap<>();
      for (VolumeSpec v : volumes) {
        try {
          layouts.get(v.layout());
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("rackshare.volumes '" + v.name() + "': " + e.getMessage(), e);
        }
        for (io.rackshare.map.DevicePath d : v.devices()) {
          String other = usedBy.putIfAbsent(d, v.name());
          if (other != null) {
            throw new IllegalArgumentException("rackshare.volumes '" + v.name() + "': " + d
                + " is already used by volume '" + other + "'");
          }
        }
      }
      for (String port : List.of("oob.data-lane-port", "management.port")) {
        int p = c.getInt(port);
        if (p < 0 || p > 65535) {
          throw new IllegalArgumentException("rackshare." + port + " = " + p + ": a port is 0 (any free one) to 65535");
        }
      }
      for (String duration : List.of("manager.resync-debounce", "manager.confirm-timeout", "manager.offline-retry",
          "manager.backup-snapshot-interval", "manager.seat.tick")) {
        java.time.Duration d = c.getDuration(duration);
        if (d.isZero() || d.isNegative()) {
          throw new IllegalArgumentException("rackshare." + duration + " = " + c.getValue(duration).unwrapped()
              + ": must be more than 0");
        }
      }
      if (c.getInt("manager.snapshot-every") < 0) {
        throw new IllegalArgumentException("rackshare.manager.snapshot-every = " + c.getInt("manager.snapshot-every")
            + ": 0 (no snapshots) or more");
      }
      return new RackshareSettings(
          new BladeId(blade.getInt("rack"), blade.getInt("chassis"), blade.getInt("slot")),
          blade,
          blade.getStringList("discovery"),
          volumes,
          layouts,
          OobSettings.fromConfig(c.getConfig("oob")),
          AccessSettings.fromConfig(c.getConfig("access")),
          c.getInt("oob.data-lane-port"),
          c.getDuration("manager.resync-debounce"),
          c.getDuration("manager.confirm-timeout"),
          c.getDuration("manager.offline-retry"),
          nomination(c.getString("manager.nomination")),
          c.getString("manager.journal-plugin"),
          c.getString("manager.snapshot-plugin"),
          c.getInt("manager.snapshot-every"),
          new io.rackshare.manager.ManagerBackup.Settings(c.getString("manager.nomination"),
              c.getString("manager.read-journal-plugin"), c.getString("manager.snapshot-plugin"),
              c.getDuration("manager.backup-snapshot-interval")),
          new io.rackshare.manager.ManagerSeat.Settings(c.getString("manager.nomination"),
              c.getDuration("manager.seat.tick"), c.getDuration("manager.seat.handoff-after"),
              c.getDuration("manager.seat.restart-after")),
          c.getString("manager.lease.lease-class"),
          c.getDuration("manager.fence-after"),
          offOrDuration(c, "manager.replace-failed-after"),
          pool(c),
          java.nio.file.Path.of(blade.getString("data-dir")),
          NbdSettings.fromConfig(c.getConfig("nbd"), tlsDir),
          new Management(c.getBoolean("management.enabled"), c.getString("management.hostname"),
              c.getInt("management.port"), c.getString("management.token-file").isBlank()
                  ? java.nio.file.Path.of(blade.getString("data-dir")).resolve("operator-token")
                  : java.nio.file.Path.of(c.getString("management.token-file")),
              c.getBoolean("management.enabled")
                  && https(c.getString("management.tls"), c.getString("management.hostname"), tlsDir)),
          tlsDir);
    } catch (com.typesafe.config.ConfigException e) {
      throw new IllegalArgumentException("bad rackshare configuration: " + e.getMessage(), e);
    }
  }
}
