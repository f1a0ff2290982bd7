package io.rackshare.example.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rackshare.testkit.ClusterSpec;
import io.rackshare.testkit.RackshareCluster;
import io.rackshare.testkit.RackshareExtension;
import io.rackshare.testkit.StatusPoller;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The log service on four blades as separate JVMs, its log on a raid1 of blades 1 and 3 with hot
 * spares on 2 and 4. A client appends records through the HTTP API, going to another blade when
 * one does not answer. The writer's blade is killed (SIGKILL); once the writer runs elsewhere (the
 * cluster removed that blade) and the volume is rebuilt on a spare, the manager's blade is killed.
 * The service answers again within a bounded time each time, the volume is whole at the end, and
 * every acknowledged record reads back with its bytes at its sequence number. Four blades are
 * enough for the split-brain resolver's keep-majority with one failure at a time (4, then 3 of 4,
 * then 2 of 3), and start faster than five. Only the testkit's public API and a plain HTTP client.
 */
class LogServiceFailoverIT {

  static final Duration START = Duration.ofSeconds(30);
  /** How long the service may stay silent after a kill: detection, split-brain resolver, hand-over, recovery. */
  static final Duration FAILOVER = Duration.ofSeconds(40);
  static final Duration REBUILD = Duration.ofSeconds(60);
  static final Pattern HTTP = Pattern.compile("LOG-SERVICE READY blade=\\S+ http=(\\S+)");
  static final ObjectMapper JSON = new ObjectMapper();

  @RegisterExtension
  final RackshareExtension rackshare = new RackshareExtension();

  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

  final long began = System.nanoTime();

  /** What the test did when, for its output (where its time goes). */
  void step(String what) {
    System.out.printf("%6.1f s  %s%n", (System.nanoTime() - began) / 1e9, what);
  }

  @Test
  void everyAcknowledgedRecordSurvivesTheDeathOfTheWritersAndTheManagersBlades() throws Exception {
    RackshareCluster cluster = rackshare.start(ClusterSpec.separateJvms()
        .blades(4, "32MiB")
        .raid1("log", List.of(1, 3), List.of(2, 4))
        .service(LogService.Id.class)
        .setting("log-service.volume", "\"log\"")
        .setting("log-service.http.port", "0")
        .build());
    Map<Integer, String> api = new TreeMap<>();
    for (int slot : cluster.running()) {
      Matcher m = HTTP.matcher(cluster.awaitLogLine(slot, "LOG-SERVICE READY", START));
      assertTrue(m.find());
      api.put(slot, m.group(1));
    }
    step("blades up, APIs at " + api);
    int writer = awaitWriter(api, -1, START);
    step("writer recovered on blade " + writer);
    assertEquals(1, writer, "the oldest blade runs the singleton");
    clearErrors(api.get(2));

    Appender client = new Appender(api);
    Thread thread = new Thread(client, "log-client");
    thread.start();
    try {
      client.awaitAcknowledged(20, START);

      step(client.acknowledged.size() + " records acknowledged; killing blade " + writer);
      cluster.kill(writer);
      long killed = System.nanoTime();
      int next = awaitWriter(api, writer, FAILOVER);
      step("writer recovered on blade " + next);
      client.awaitAcknowledgedAfter(killed, FAILOVER);
      Duration firstGap = Duration.ofNanos(client.firstAckAfter(killed) - killed);
      assertTrue(firstGap.compareTo(FAILOVER) <= 0, "silent for " + firstGap + " after the writer's blade died");
      client.awaitAcknowledged(client.acknowledged.size() + 10, FAILOVER);
      // The copy on blade 1 is rebuilt on a spare before the next kill, which may strike blade 3.
      step(client.acknowledged.size() + " records acknowledged");
      cluster.awaitRebuilt("log", REBUILD);
      step("volume rebuilt");

      int manager = cluster.awaitManager(FAILOVER);
      step(client.acknowledged.size() + " records acknowledged; killing the manager's blade " + manager);
      cluster.kill(manager);
      killed = System.nanoTime();
      step("writer recovered on blade " + awaitWriter(api, manager, FAILOVER));
      client.awaitAcknowledgedAfter(killed, FAILOVER);
      Duration secondGap = Duration.ofNanos(client.firstAckAfter(killed) - killed);
      assertTrue(secondGap.compareTo(FAILOVER) <= 0, "silent for " + secondGap + " after the manager's blade died");
      client.awaitAcknowledged(client.acknowledged.size() + 10, FAILOVER);
      System.out.printf("writer on blade %d, then %d; blades killed %d and %d; silent %s and %s%n", writer, next,
          writer, manager, firstGap, secondGap);

      step(client.acknowledged.size() + " records acknowledged");
      cluster.awaitRebuilt("log", REBUILD);
      step("volume rebuilt");
      // The service follows its volume's health through Rackshare's events: whole again, as every
      // blade still running sees it.
      for (int slot : cluster.running()) {
        StatusPoller.awaitValue("blade " + slot + "'s /health", () -> get(api.get(slot) + "/health"),
            "the volume OPTIMAL", r -> parse(r.body()).path("volume").asText().equals("OPTIMAL"), Duration.ofSeconds(10));
      }
    } finally {
      client.stop();
      thread.join(20_000);
    }
    assertTrue(client.error.get() == null, () -> "the client failed: " + client.error.get());

    // Read the whole log back through a blade still running.
    int reader = cluster.running().get(cluster.running().size() - 1);
    Map<Long, byte[]> log = readAll(api.get(reader));
    int duplicates = log.size() - client.acknowledged.size();
    for (Map.Entry<Long, Long> ack : client.acknowledged.entrySet()) {
      byte[] expected = Appender.payload(ack.getKey());
      byte[] found = log.get(ack.getValue());
      assertTrue(found != null && Arrays.equals(expected, found),
          "record " + ack.getKey() + " acknowledged with seq " + ack.getValue() + " reads back "
              + (found == null ? "nothing" : new String(found, 0, Math.min(found.length, 20), StandardCharsets.UTF_8)));
    }
    // Every record in the log is one the client sent, whole (retries may have added a copy).
    for (Map.Entry<Long, byte[]> record : log.entrySet()) {
      String head = new String(record.getValue(), 0, Math.min(record.getValue().length, 24), StandardCharsets.US_ASCII);
      Matcher id = Pattern.compile("^record-(\\d+):").matcher(head);
      assertTrue(id.find() && Arrays.equals(Appender.payload(Long.parseLong(id.group(1))), record.getValue()),
          "record " + record.getKey() + " is not one the client sent: " + head);
    }
    System.out.printf("%d records acknowledged, %d in the log (retries that duplicated: %d)%n",
        client.acknowledged.size(), log.size(), duplicates);
    // The test is over: the blades need no graceful leave (the extension would wait for it, ~10 s).
    for (int slot : cluster.running()) cluster.kill(slot);
  }

  /** Waits until a blade's health names a writer that is recovered and not on {@code not}; returns its slot. */
  int awaitWriter(Map<Integer, String> api, int not, Duration deadline) throws Exception {
    JsonNode health = StatusPoller.awaitValue("the log service", () -> {
      // Every other blade at once: one that does not answer (dead, or its writer away) holds up no one.
      List<java.util.concurrent.CompletableFuture<JsonNode>> answers = new ArrayList<>();
      api.forEach((slot, url) -> {
        if (slot != not) {
          answers.add(http.sendAsync(HttpRequest.newBuilder(URI.create(url + "/health")).timeout(Duration.ofSeconds(3))
              .GET().build(), HttpResponse.BodyHandlers.ofString())
              .thenApply(r -> r.statusCode() == 200 ? parse(r.body()) : null)
              .exceptionally(e -> null));
        }
      });
      return answers.stream().map(java.util.concurrent.CompletableFuture::join)
          .filter(h -> h != null && ClusterSpec.slotOf(h.get("writer").asText()) != not).findFirst().orElse(null);
    }, "a recovered writer on a blade other than " + not, h -> h != null, deadline);
    return ClusterSpec.slotOf(health.get("writer").asText());
  }

  static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Bad requests get a clear 4xx answer. */
  void clearErrors(String base) throws Exception {
    HttpResponse<String> empty = post(base + "/records", new byte[0]);
    assertEquals(400, empty.statusCode(), empty.body());
    assertTrue(empty.body().startsWith("empty record"), empty.body());
    HttpResponse<String> big = post(base + "/records", new byte[64 * 1024 + 1]);
    assertEquals(413, big.statusCode(), big.body());
    assertTrue(big.body().startsWith("a record has at most 65536 bytes"), big.body());
    HttpResponse<String> from = get(base + "/records?from=x");
    assertEquals(400, from.statusCode(), from.body());
    assertTrue(from.body().contains("whole numbers"), from.body());
  }

  Map<Long, byte[]> readAll(String base) throws Exception {
    Map<Long, byte[]> all = new TreeMap<>();
    long from = 0;
    while (true) {
      HttpResponse<String> r = get(base + "/records?from=" + from);
      assertEquals(200, r.statusCode(), r.body());
      JsonNode page = JSON.readTree(r.body());
      for (JsonNode record : page.get("records")) {
        assertEquals(all.size(), record.get("seq").asLong(), "sequence numbers follow each other");
        all.put(record.get("seq").asLong(), Base64.getDecoder().decode(record.get("payload").asText()));
      }
      if (page.get("next").asLong() >= page.get("count").asLong()) return all;
      from = page.get("next").asLong();
    }
  }

  HttpResponse<String> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(String url, byte[] body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Appends records 0, 1, 2, ... one after the other, each until acknowledged; a blade that does
   * not answer or answers 503 sends it to the next blade.
   */
  final class Appender implements Runnable {
    final List<String> urls;
    /** Record id to the sequence number it was acknowledged with. */
    final Map<Long, Long> acknowledged = new ConcurrentHashMap<>();
    /** When each acknowledgement arrived (System.nanoTime), in order. */
    final List<Long> ackTimes = java.util.Collections.synchronizedList(new ArrayList<>());
    final AtomicBoolean stopped = new AtomicBoolean();
    final AtomicLong retries = new AtomicLong();
    final java.util.concurrent.atomic.AtomicReference<Throwable> error = new java.util.concurrent.atomic.AtomicReference<>();

    Appender(Map<Integer, String> api) {
      this.urls = List.copyOf(api.values());
    }

    /** Record {@code id}'s bytes: its id, then 100 to 6000 bytes from a generator seeded with it. */
    static byte[] payload(long id) {
      Random r = new Random(id);
      byte[] tail = new byte[100 + r.nextInt(5900)];
      r.nextBytes(tail);
      byte[] head = ("record-" + id + ":").getBytes(StandardCharsets.US_ASCII);
      byte[] all = Arrays.copyOf(head, head.length + tail.length);
      System.arraycopy(tail, 0, all, head.length, tail.length);
      return all;
    }

    @Override
    public void run() {
      int blade = 0;
      try {
        for (long id = 0; !stopped.get(); id++) {
          byte[] payload = payload(id);
          while (!stopped.get()) {
            String url = urls.get(blade % urls.size());
            try {
              HttpResponse<String> r = post(url + "/records", payload);
              if (r.statusCode() == 200) {
                acknowledged.put(id, JSON.readTree(r.body()).get("seq").asLong());
                ackTimes.add(System.nanoTime());
                break;
              }
              if (r.statusCode() != 503) throw new AssertionError("append " + id + " got " + r.statusCode() + " " + r.body());
            } catch (java.io.IOException e) {
              // that blade does not answer: the next one
            }
            retries.incrementAndGet();
            blade++;
            // Backoff after a round of blades that all failed: the service is failing over.
            if (blade % urls.size() == 0) Thread.sleep(200);
          }
          // Pacing (about 30 records a second at most): the log must not fill the 32 MiB volume.
          Thread.sleep(30);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Throwable t) {
        error.set(t);
      }
    }

    void stop() {
      stopped.set(true);
    }

    void awaitAcknowledged(int count, Duration deadline) throws Exception {
      StatusPoller.awaitValue("the client", () -> acknowledged.size(), count + " records acknowledged",
          n -> n >= count || error.get() != null, deadline);
      assertTrue(error.get() == null, () -> "the client failed: " + error.get());
    }

    void awaitAcknowledgedAfter(long nanos, Duration deadline) throws Exception {
      StatusPoller.awaitValue("the client", () -> firstAckAfter(nanos), "a record acknowledged after the kill "
          + "(acknowledged " + acknowledged.size() + ", retries " + retries + ")", t -> t > 0 || error.get() != null,
          deadline);
      assertTrue(error.get() == null, () -> "the client failed: " + error.get());
    }

    /** When the first acknowledgement after {@code nanos} arrived, or 0. */
    long firstAckAfter(long nanos) {
      synchronized (ackTimes) {
        return ackTimes.stream().filter(t -> t > nanos).findFirst().orElse(0L);
      }
    }
  }
}
