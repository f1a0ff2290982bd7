package io.rackshare.node;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rackshare.management.BladeStatus;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code rackshare volume create|list}: volumes by size on the pool, from a blade's management endpoint. */
@Command(name = "volume", mixinStandardHelpOptions = true,
    description = "Create volumes by size on the pool, and list the volumes.",
    subcommands = {Volume.Create.class, Volume.Grow.class, Volume.Remove.class, Volume.ListVolumes.class})
final class Volume implements Callable<Integer> {

  @Override
  public Integer call() {
    throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "say create, grow, remove or list");
  }

  static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** {@code rackshare volume create}. */
  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Create a volume of a size on the pool's free extents, its members on different blades"
          + " (chassis, racks: rackshare.pool.failure-domain); returns once it serves.")
  static final class Create implements Callable<Integer> {
    @Mixin Endpoint endpoint;

    @Option(names = "--name", required = true, description = "the volume's name (its NBD export)")
    String name;

    @Option(names = "--layout", required = true, description = "span, raid0, raid1, raid10 or raid5")
    String layout;

    @Option(names = "--size", required = true, description = "e.g. 1G, 512M, or bytes")
    String size;

    @Option(names = "--copies", defaultValue = "0", description = "copies of each block (raid1, raid10; default 2)")
    int copies;

    @Option(names = "--width", defaultValue = "0",
        description = "stripe columns (raid0 2, raid10 2, raid5 3), sets of copies (raid1 1), disks (span: as needed)")
    int width;

    @Option(names = "--spares", defaultValue = "0", description = "hot spares, each on another blade")
    int spares;

    @Option(names = "--option", description = "a layout option, key=value (e.g. read-policy=primary)")
    Map<String, String> options = new LinkedHashMap<>();

    @Option(names = "--json", description = "print the endpoint's JSON as it is")
    boolean json;

    @Override
    public Integer call() throws Exception {
      StringBuilder q = new StringBuilder("/volumes?name=").append(enc(name)).append("&layout=").append(enc(layout))
          .append("&size=").append(enc(size)).append("&copies=").append(copies).append("&width=").append(width)
          .append("&spares=").append(spares);
      if (!options.isEmpty()) {
        StringBuilder o = new StringBuilder();
        options.forEach((k, v) -> o.append(o.length() == 0 ? "" : ",").append(k).append('=').append(v));
        q.append("&options=").append(enc(o.toString()));
      }
      String body = endpoint.post(q.toString(), Duration.ofSeconds(90));
      if (json) {
        System.out.println(body);
        return 0;
      }
      print(body);
      return 0;
    }
  }

  /** {@code rackshare volume grow}. */
  @Command(name = "grow", mixinStandardHelpOptions = true,
      description = "Grow a volume created on the pool while it serves: its parts get more extents on their disks;"
          + " returns once it has the size (NBD clients see it when they next connect).")
  static final class Grow implements Callable<Integer> {
    @Mixin Endpoint endpoint;

    @Option(names = "--name", required = true, description = "the volume")
    String name;

    @Option(names = "--size", required = true, description = "its new size, e.g. 2G")
    String size;

    @Override
    public Integer call() throws Exception {
      print(endpoint.post("/volumes/" + enc(name) + "/grow?size=" + enc(size), Duration.ofSeconds(90)));
      return 0;
    }
  }

  /** {@code rackshare volume remove}. */
  @Command(name = "remove", mixinStandardHelpOptions = true,
      description = "Remove a volume created on the pool; refused while any blade serves it to NBD clients, unless"
          + " --force. Its extents go back to the pool.")
  static final class Remove implements Callable<Integer> {
    @Mixin Endpoint endpoint;

    @Option(names = "--name", required = true, description = "the volume")
    String name;

    @Option(names = "--force", description = "remove it even while NBD clients use it (their next request fails)")
    boolean force;

    @Override
    public Integer call() throws Exception {
      endpoint.post("/volumes/" + enc(name) + "/remove" + (force ? "?force=true" : ""), Duration.ofSeconds(60));
      System.out.println("volume " + name + " removed");
      return 0;
    }
  }

  /** A volume as {@code POST /volumes} and {@code .../grow} answer it: its size, then its parts. */
  static void print(String body) throws java.io.IOException {
    Map<?, ?> placed = JSON.readValue(body, Map.class);
    System.out.printf("volume %s: %s, %s%n", placed.get("volume"), placed.get("layout"),
        Status.size(((Number) placed.get("sizeBytes")).longValue()));
    for (Object p : (java.util.List<?>) placed.get("parts")) {
      Map<?, ?> m = (Map<?, ?>) p;
      System.out.printf("  %-10s %-36s on %s, %s%n", m.get("role"), m.get("part"), m.get("disk"),
          Status.size(((Number) m.get("bytes")).longValue()));
    }
  }

  /** {@code rackshare volume list}. */
  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the volumes, their size and health.")
  static final class ListVolumes implements Callable<Integer> {
    @Mixin Endpoint endpoint;

    @Override
    public Integer call() throws Exception {
      BladeStatus s = JSON.readValue(endpoint.call("/status", HttpRequest.newBuilder().GET(), Duration.ofSeconds(10)),
          BladeStatus.class);
      System.out.printf("%-20s %-7s %10s  %-9s %s%n", "VOLUME", "LAYOUT", "SIZE", "HEALTH", "MEMBERS");
      for (BladeStatus.Volume v : s.volumes()) {
        System.out.printf("%-20s %-7s %10s  %-9s %s%n", v.name(), v.layout(), Status.size(v.sizeBytes()), v.health(),
            v.members().stream().map(BladeStatus.MemberStatus::device).toList());
      }
      return 0;
    }
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
