package io.rackshare.node;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rackshare.management.PoolStatus;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code rackshare pool}: the pool's capacity per blade and disk, from a blade's management endpoint. */
@Command(name = "pool", mixinStandardHelpOptions = true,
    description = "Show the pool: every disk of every blade, what uses it (a volume's member or spare, or free),"
        + " and the capacity used, free and failed per blade.")
final class Pool implements Callable<Integer> {

  @Mixin Endpoint endpoint;

  @Option(names = "--json", description = "print the endpoint's JSON as it is")
  boolean json;

  @Override
  public Integer call() throws Exception {
    String body = endpoint.call("/pool", HttpRequest.newBuilder().GET(), Duration.ofSeconds(10));
    if (json) {
      System.out.println(body);
      return 0;
    }
    PoolStatus p = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
        .readValue(body, PoolStatus.class);
    System.out.print(format(p));
    return 0;
  }

  static String format(PoolStatus p) {
    StringBuilder b = new StringBuilder();
    b.append(String.format("%-38s %10s %6s  %s%n", "DISK", "SIZE", "BLOCK", "USE"));
    for (PoolStatus.Disk d : p.disks()) {
      String use = switch (d.use()) {
        case "member" -> "member " + d.position() + " of " + d.volume() + " (" + d.state() + ")";
        case "spare" -> "hot spare of " + d.volume();
        case "pool" -> d.parts().stream().map(x -> x.part().substring(x.part().lastIndexOf('/') + 1) + " "
            + (x.position() >= 0 ? "member " + x.position() : "spare") + " of " + x.volume() + " ("
            + (x.ready() ? x.state() : "zeroing") + ", " + Status.size(x.bytes()) + ")")
            .collect(java.util.stream.Collectors.joining(", ")) + "; " + Status.size(d.sizeBytes() - d.usedBytes())
            + " free";
        default -> "free";
      };
      b.append(String.format("%-38s %10s %6d  %s%n", d.device(), Status.size(d.sizeBytes()), d.blockSize(), use));
    }
    b.append('\n').append(String.format("%-28s %5s %10s %10s %10s %10s%n", "BLADE", "DISKS", "SIZE", "USED", "FREE",
        "FAILED"));
    for (PoolStatus.BladeTotal t : p.blades()) {
      b.append(String.format("%-28s %5d %10s %10s %10s %10s%n", t.blade(), t.disks(), Status.size(t.sizeBytes()),
          Status.size(t.usedBytes()), Status.size(t.freeBytes()), Status.size(t.failedBytes())));
    }
    b.append(String.format("%-28s %5s %10s %10s %10s %10s%n", "all", "", Status.size(p.sizeBytes()),
        Status.size(p.usedBytes()), Status.size(p.freeBytes()), Status.size(p.failedBytes())));
    return b.toString();
  }
}
