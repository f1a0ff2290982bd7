package io.rackshare.node;

import java.nio.file.Path;

/**
 * The demo's cluster: four blades with four disks each (the patent's sixteen), one volume of every
 * layout, each redundant one with a hot spare, and no two copies of a block on one blade:
 *
 * <pre>
 *   span    disk 0 of blades 1, 2
 *   raid0   disk 0 of blades 3, 4
 *   raid1   disk 1 of blades 1, 2        spare: disk 1 of blade 3
 *   raid5   disk 2 of blades 1, 2, 3     spare: disk 2 of blade 4
 *   raid10  disk 3 of blades 1, 2, 3, 4  spare: disk 1 of blade 4
 * </pre>
 *
 * Blades beyond the fourth share no disk: they only use the volumes. The multi-JVM tests run the
 * same cluster.
 */
public final class DemoCluster {
  private DemoCluster() {}

  public static final int DISK_BLADES = 4;
  public static final String[] VOLUMES = {"span", "raid0", "raid1", "raid5", "raid10"};

  /**
   * The password of blade 1's console station in the configs this JVM writes: random for each
   * run (VNC authentication uses 8 characters), printed by the demo.
   */
  public static final String STATION_PASSWORD = password();

  private static String password() {
    String letters = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    java.security.SecureRandom r = new java.security.SecureRandom();
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < 8; i++) b.append(letters.charAt(r.nextInt(letters.length())));
    return b.toString();
  }

  static String disk(int slot, int index) {
    return "\"Rack(1)/Chassis(1)/Blade(" + slot + ")/Disk(" + index + ")\"";
  }

  /** {@code rackshare.volumes}, with rebuilds limited to {@code rebuildRate} (e.g. 16MiB). */
  public static String volumes(String rebuildRate) {
    return """
        volumes = [
          { name = span, layout = span, members = [%s, %s] }
          { name = raid0, layout = raid0, members = [%s, %s] }
          { name = raid1, layout = raid1, members = [%s, %s], spares = [%s], rebuild-rate = %s }
          { name = raid5, layout = raid5, members = [%s, %s, %s], spares = [%s], rebuild-rate = %s }
          { name = raid10, layout = raid10, members = [%s, %s, %s, %s], spares = [%s], rebuild-rate = %s }
        ]
        """.formatted(disk(1, 0), disk(2, 0), disk(3, 0), disk(4, 0),
        disk(1, 1), disk(2, 1), disk(3, 1), rebuildRate,
        disk(1, 2), disk(2, 2), disk(3, 2), disk(4, 2), rebuildRate,
        disk(1, 3), disk(2, 3), disk(3, 3), disk(4, 3), disk(4, 1), rebuildRate);
  }

  /** The configuration of blade {@code slot}. */
  public static String node(int slot, Path dataDir, int diskMib, int oobPort, int seedPort, int nbdPort,
      int managementPort, String rebuildRate) {
    return node(slot, dataDir, diskMib, oobPort, seedPort, nbdPort, managementPort, rebuildRate, "");
  }

  /**
   * As above, with the manager's journal as {@code journal} says it ({@code manager.journal {...}}
   * HOCON, e.g. {@code JournalServer.hocon()}; "" = in memory).
   */
  public static String node(int slot, Path dataDir, int diskMib, int oobPort, int seedPort, int nbdPort,
      int managementPort, String rebuildRate, String journal) {
    return node(slot, dataDir, diskMib, oobPort, java.util.List.of("127.0.0.1:" + seedPort), nbdPort, managementPort,
        rebuildRate, journal, "");
  }

  /**
   * As above, joining through {@code seeds} ({@code host:port} of blades already up; empty for
   * the first, which forms the cluster), with {@code extra} HOCON inside {@code rackshare}.
   * Ports may be 0: the blade picks one and says which ({@code RACKSHARE UP}, {@code READY}).
   */
  public static String node(int slot, Path dataDir, int diskMib, int oobPort, java.util.List<String> seeds,
      int nbdPort, int managementPort, String rebuildRate, String journal, String extra) {
    String disks = slot > DISK_BLADES ? "[]" : "[" + String.join(", ",
        java.util.stream.IntStream.range(0, 4)
            .mapToObj(i -> "{ file = disk" + i + ".img, size = " + diskMib + "MiB }").toList()) + "]";
    return """
        rackshare {
          blade { slot = %d, data-dir = "%s", disks = %s }
          oob { hostname = "127.0.0.1", port = %d }
          seed-nodes = [%s]
          nbd { port = %d }
          management { port = %d }
          %s
          console.command = ["bash", "-i"]
          %s
          %s
          %s
        }
        """.formatted(slot, dataDir, disks, oobPort,
        String.join(", ", seeds.stream().map(x -> "\"" + x + "\"").toList()),
        nbdPort, managementPort, journal,
        // Blade 1 hosts the console station, on loopback, with this run's password.
        slot == 1 ? "console.station { enabled = on, port = 0, web-port = 0, password = \"" + STATION_PASSWORD + "\" }"
            : "",
        volumes(rebuildRate), extra);
  }
}
