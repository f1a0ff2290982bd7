package io.rackshare.node;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code rackshare fail}: an operator fails a volume's member (a hot spare takes its place). */
@Command(name = "fail", mixinStandardHelpOptions = true,
    description = "Fail a member of a volume, as md's --fail does: a hot spare takes its place and is rebuilt.")
final class Fail implements Callable<Integer> {

  @Mixin Endpoint endpoint;

  @Option(names = "--volume", required = true, description = "the volume")
  String volume;

  @Option(names = "--device", required = true, description = "the member, e.g. Rack(1)/Chassis(1)/Blade(2)/Disk(0)")
  String device;

  @Override
  public Integer call() throws Exception {
    String path = "/volumes/" + URLEncoder.encode(volume, StandardCharsets.UTF_8) + "/fail?device="
        + URLEncoder.encode(device, StandardCharsets.UTF_8);
    System.out.println(endpoint.post(path, Duration.ofSeconds(60)));
    return 0;
  }
}
