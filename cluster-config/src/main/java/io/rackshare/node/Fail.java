package io.rackshare.node;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code rackshare fail}: an operator fails a volume's member (a hot spare takes its place). */
@Command(name = "fail", mixinStandardHelpOptions = true,
    description = "Fail a member of a volume, as md's --fail does: a hot spare takes its place and is rebuilt.")
final class Fail implements Callable<Integer> {

  @Option(names = "--url", defaultValue = "http://127.0.0.1:8558",
      description = "a blade's management endpoint (default ${DEFAULT-VALUE})")
  URI url;

  @Option(names = "--volume", required = true, description = "the volume")
  String volume;

  @Option(names = "--device", required = true, description = "the member, e.g. Rack(1)/Chassis(1)/Blade(2)/Disk(0)")
  String device;

  @Override
  public Integer call() throws Exception {
    URI target = url.resolve("/volumes/" + URLEncoder.encode(volume, StandardCharsets.UTF_8) + "/fail?device="
        + URLEncoder.encode(device, StandardCharsets.UTF_8));
    HttpResponse<String> r;
    try {
      r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(60))
          .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("no blade answers at " + url + ": " + e);
    }
    if (r.statusCode() != 200) throw new IllegalArgumentException(r.body());
    System.out.println(r.body());
    return 0;
  }
}
