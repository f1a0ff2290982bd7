package io.rackshare.multijvm;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rackshare.management.BladeStatus;
import io.rackshare.persistence.JournalDigest;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

/** Blades' status endpoints seen from a test: fetched, polled, compared with the journal's map. */
final class BladeStatuses {
  private BladeStatuses() {}

  static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /**
   * One client for every poll: a client per request starts a selector thread each time, which in
   * a bench polling 16 blades every 100 ms took CPU from the blades it measured.
   */
  private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  /**
   * {@code GET url} with the shared client. A client per request also keeps its connection open
   * until it is collected: a test polling that way held the management endpoint's connection
   * limit (64) and its polls then timed out.
   */
  static java.net.http.HttpResponse<String> get(String url) throws Exception {
    return HTTP.send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
  }

  /** {@code GET /status} of the blade whose management endpoint is {@code url}. */
  static BladeStatus fetch(String url) throws Exception {
    var r = get(url + "/status");
    if (r.statusCode() != 200) throw new IllegalStateException("status " + r.statusCode() + ": " + r.body());
    return JSON.readValue(r.body(), BladeStatus.class);
  }

  /** Polls {@code status} until {@code p} holds; fails naming {@code who}, {@code what} and the last status. */
  static BladeStatus await(String who, Callable<BladeStatus> status, String what, Predicate<BladeStatus> p,
      Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    BladeStatus last = null;
    Exception error = null;
    while (System.nanoTime() < deadline) {
      try {
        last = status.call();
        if (p.test(last)) return last;
      } catch (Exception e) {
        error = e;
      }
      Thread.sleep(100); // polling another process's status
    }
    throw new AssertionError(who + ": " + what + " within " + timeout + "; last status: "
        + (last == null ? String.valueOf(error) : JSON.writeValueAsString(last)));
  }

  /**
   * Waits until every blade of {@code statuses} (by slot) routes with the journal's map: the same
   * digest as the journal's fold. Returns the journal's result.
   */
  static JournalDigest.Result awaitDigestsMatch(Callable<JournalDigest.Result> journal,
      Map<Integer, Callable<BladeStatus>> statuses, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    String why = "";
    while (System.nanoTime() < deadline) {
      JournalDigest.Result j = journal.call();
      why = "journal " + j;
      boolean all = true;
      for (Map.Entry<Integer, Callable<BladeStatus>> e : statuses.entrySet()) {
        BladeStatus s = e.getValue().call();
        why += "; blade " + e.getKey() + " epoch " + s.mapEpoch() + " digest " + s.mapDigest();
        all &= s.mapDigest().equals(j.mapDigest());
      }
      if (all) return j;
      Thread.sleep(250); // polling other processes
    }
    throw new AssertionError("the blades' maps do not match the journal's within " + timeout + ": " + why);
  }
}
