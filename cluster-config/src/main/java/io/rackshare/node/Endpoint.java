package io.rackshare.node;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The {@code --url} of a blade's management endpoint, for the commands that talk to one. */
final class Endpoint {

  @Option(names = "--url", defaultValue = "http://127.0.0.1:8558",
      description = "a blade's management endpoint (default ${DEFAULT-VALUE})")
  URI url;

  /** Sends {@code request} for {@code path}; anything but 200 is a clear error. */
  String call(String path, HttpRequest.Builder request, Duration timeout) throws InterruptedException {
    HttpResponse<String> r;
    try {
      r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build().send(
          request.uri(url.resolve(path)).timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("no blade answers at " + url + ": " + e);
    }
    if (r.statusCode() != 200) throw new IllegalArgumentException(url + " answered " + r.statusCode() + ": " + r.body());
    return r.body();
  }
}
