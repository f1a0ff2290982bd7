package io.rackshare.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * What the console station shows, read from the management endpoint of the blade that hosts it:
 * {@code POST /console/select} to switch blades, {@code GET /console/log} for the shown blade's
 * console output as text lines (each "HH:mm:ss.SSS text"; both need the operator token).
 */
final class StationLog {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final String mgmt;
  private final String token;

  StationLog(String mgmt, String token) {
    this.mgmt = mgmt;
    this.token = token;
  }

  private HttpResponse<String> send(HttpRequest.Builder r) throws Exception {
    return HTTP.send(r.timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + token).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Shows {@code blade}'s console. A blade's console counts once the manager has its
   * registration, so the switch is asked again until then, up to {@code timeout}.
   */
  void select(String blade, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(mgmt + "/console/select?blade="
          + URLEncoder.encode(blade, StandardCharsets.UTF_8))).POST(HttpRequest.BodyPublishers.noBody()));
      if (r.statusCode() == 200) return;
      if (System.nanoTime() > deadline || !r.body().contains("has no console")) {
        throw new AssertionError("selecting " + blade + ": " + r.statusCode() + " " + r.body());
      }
      Thread.sleep(500); // polling another process's endpoint
    }
  }

  /** The station's screen as text ({@code GET /console}: what its viewers see; "" under a banner). */
  String screen() throws Exception {
    HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(mgmt + "/console")).GET());
    if (r.statusCode() != 200) throw new IllegalStateException("console: " + r.statusCode() + " " + r.body());
    JsonNode c = io.rackshare.testkit.StatusPoller.JSON.readTree(r.body());
    return c.get("banner").asText().isEmpty() ? c.get("screen").asText() : "";
  }

  /** The shown console's last {@code n} lines, the times cut off. */
  List<String> lines(int n) throws Exception {
    HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(mgmt + "/console/log?lines=" + n)).GET());
    if (r.statusCode() != 200) throw new IllegalStateException("console log: " + r.statusCode() + " " + r.body());
    List<String> out = new ArrayList<>();
    for (JsonNode l : io.rackshare.testkit.StatusPoller.JSON.readTree(r.body()).get("lines")) {
      String s = l.asText();
      int sp = s.indexOf(' ');
      out.add(sp < 0 ? s : s.substring(sp + 1));
    }
    return out;
  }

  /** The shown console's last lines; fails at once when one satisfies {@code fatal}. */
  List<String> checked(Predicate<String> fatal, String during) throws Exception {
    List<String> last = lines(2000);
    Optional<String> bad = last.stream().filter(fatal).findFirst();
    if (bad.isPresent()) throw new AssertionError("the console shows '" + bad.get() + "' " + during + ":\n" + tail(last));
    return last;
  }

  /**
   * Polls the shown console until a line satisfies {@code p}; returns it. Fails with the console's
   * last lines after {@code timeout}, or at once when a line satisfies {@code fatal}.
   */
  String await(String what, Predicate<String> p, Predicate<String> fatal, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<String> last = List.of();
    while (System.nanoTime() < deadline) {
      last = checked(fatal, "before " + what);
      Optional<String> hit = last.stream().filter(p).findFirst();
      if (hit.isPresent()) return hit.get();
      Thread.sleep(300); // polling another process's endpoint
    }
    throw new AssertionError(what + " not on the console within " + timeout + "; its last lines:\n" + tail(last));
  }

  static String tail(List<String> lines) {
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
  }
}
