package io.rackshare.testkit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rackshare.management.BladeStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

/**
 * The one status poller: fetches a blade's {@code GET /status} and polls a status until a
 * condition holds or a deadline passes, failing with what was awaited and the last status seen.
 * Polling is the only way to wait on another process's state; the interval is short (100 ms).
 */
public final class StatusPoller {
  private StatusPoller() {}

  /** Reads status JSON, ignoring fields a newer blade added. */
  public static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private static final Duration INTERVAL = Duration.ofMillis(100);

  /**
   * One client for every poll: a client per request starts a selector thread each time and keeps
   * its connection open until collected, which once held the endpoint's connection limit.
   */
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /**
   * {@code GET url} with the shared client.
   *
   * @param url the full URL
   * @return the response
   * @throws Exception when the request fails
   */
  public static HttpResponse<String> get(String url) throws Exception {
    return get(url, null);
  }

  /**
   * {@code GET url} with the shared client and the operator token (a blade answers clients of
   * other hosts only with it).
   *
   * @param url the full URL
   * @param token the operator token (null: none)
   * @return the response
   * @throws Exception when the request fails
   */
  public static HttpResponse<String> get(String url, String token) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
    if (token != null) r.header("Authorization", "Bearer " + token);
    return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * {@code GET /status} of the blade whose management endpoint is {@code managementUrl}.
   *
   * @param managementUrl e.g. {@code http://127.0.0.1:8558}
   * @return its status
   * @throws Exception when it does not answer 200 with a status
   */
  public static BladeStatus fetch(String managementUrl) throws Exception {
    return fetch(managementUrl, null);
  }

  /**
   * {@code GET /status} with the operator token, for a blade on another host (or namespace).
   *
   * @param managementUrl e.g. {@code http://10.0.0.11:8558}
   * @param token the blade's operator token (null: none)
   * @return its status
   * @throws Exception when it does not answer 200 with a status
   */
  public static BladeStatus fetch(String managementUrl, String token) throws Exception {
    HttpResponse<String> r = get(managementUrl + "/status", token);
    if (r.statusCode() != 200) throw new IllegalStateException("status " + r.statusCode() + ": " + r.body());
    return JSON.readValue(r.body(), BladeStatus.class);
  }

  /**
   * Polls {@code status} until {@code condition} holds.
   *
   * @param who whose status, for the failure message ({@code "blade 2"})
   * @param status fetches it (an exception counts as "not yet" and is reported if nothing else is)
   * @param what what is awaited, for the failure message
   * @param condition the condition
   * @param deadline how long to wait
   * @return the status that satisfied it
   * @throws AssertionError naming {@code who}, {@code what} and the last status when time runs out
   * @throws InterruptedException when interrupted
   */
  public static BladeStatus await(String who, Callable<BladeStatus> status, String what,
      Predicate<BladeStatus> condition, Duration deadline) throws InterruptedException {
    return awaitValue(who, status, what, condition, deadline);
  }

  /**
   * As {@link #await}, for any value polled (e.g. the statuses of several blades at once).
   *
   * @param <T> what is polled
   * @param who whose state, for the failure message
   * @param poll fetches it (an exception counts as "not yet")
   * @param what what is awaited
   * @param condition the condition
   * @param deadline how long to wait
   * @return the value that satisfied it
   * @throws AssertionError with the last value seen when time runs out
   * @throws InterruptedException when interrupted
   */
  public static <T> T awaitValue(String who, Callable<T> poll, String what, Predicate<T> condition,
      Duration deadline) throws InterruptedException {
    long end = System.nanoTime() + deadline.toNanos();
    T last = null;
    Exception error = null;
    do {
      try {
        last = poll.call();
        if (condition.test(last)) return last;
        error = null;
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        error = e;
      }
      Thread.sleep(INTERVAL.toMillis()); // polling another blade's state: there is nothing to wait on
    } while (System.nanoTime() < end);
    throw new AssertionError(who + ": " + what + " not within " + deadline + "; last seen: "
        + (last == null ? String.valueOf(error) : show(last)) + (last != null && error != null ? "; then " + error : ""));
  }

  /** {@code value} as JSON when it can be, else as text. */
  static String show(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      return String.valueOf(value);
    }
  }
}
