package io.rackshare.node;

import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code rackshare console}: where the console station is, and which blade it shows. */
@Command(name = "console", mixinStandardHelpOptions = true,
    description = "Show the console station of a blade (target, VNC and web addresses), or switch its target.")
final class Console implements Callable<Integer> {

  @Mixin Endpoint endpoint;

  @Option(names = "--select", description = "show this blade's console, e.g. Rack(1)/Chassis(1)/Blade(3)")
  String select;

  @Option(names = "--log", description = "print the last N lines the shown blade's console wrote, with their times")
  Integer log;

  @Override
  public Integer call() throws Exception {
    if (log != null) {
      System.out.println(endpoint.call("/console/log?lines=" + log, HttpRequest.newBuilder().GET(), Duration.ofSeconds(15)));
      return 0;
    }
    String answer = select == null
        ? endpoint.call("/console", HttpRequest.newBuilder().GET(), Duration.ofSeconds(10))
        : endpoint.post("/console/select?blade=" + URLEncoder.encode(select, StandardCharsets.UTF_8),
            Duration.ofSeconds(25));
    System.out.println(answer);
    return 0;
  }
}
