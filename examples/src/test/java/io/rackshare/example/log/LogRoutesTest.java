package io.rackshare.example.log;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The HTTP API in one JVM, over a writer that answers at once: the token, the status codes and
 * the clear errors; and the settings' refusal to serve beyond loopback without a token.
 */
class LogRoutesTest {

  static final String TOKEN = "0123456789abcdef-test-token";
  static ActorTestKit kit;
  static ServerBinding binding;
  static String base;
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void bind() throws Exception {
    kit = ActorTestKit.create("routes", ConfigFactory.parseString("pekko.actor.provider = local")
        .withFallback(ConfigFactory.load()));
    // A writer that acknowledges every append as record 7 and reads back one record.
    ActorRef<LogWriter.Command> writer = kit.spawn(Behaviors.receive(LogWriter.Command.class)
        .onMessage(LogWriter.Append.class, a -> {
          a.replyTo().tell(a.payload()[0] == 'x' ? new LogWriter.Refused("the volume is full") : new LogWriter.Appended(7));
          return Behaviors.same();
        })
        .onMessage(LogWriter.Read.class, r -> {
          r.replyTo().tell(new LogWriter.Records(List.of(new LogRecord(r.from(), new byte[] {1, 2, 3})), r.from() + 1, 9));
          return Behaviors.same();
        })
        .onMessage(LogWriter.GetStatus.class, g -> {
          g.replyTo().tell(new LogWriter.Status("Rack(1)/Chassis(1)/Blade(2)", true, 9));
          return Behaviors.same();
        })
        .build());
    LogServiceSettings settings = new LogServiceSettings("log", 1024, 10, 1 << 20, 100, Duration.ofSeconds(3),
        Duration.ofSeconds(3), "127.0.0.1", 0, Optional.of(TOKEN));
    LogRoutes routes = new LogRoutes(writer, kit.scheduler(), settings, "Rack(1)/Chassis(1)/Blade(1)",
        () -> new io.rackshare.layout.Health(io.rackshare.layout.Health.Status.DEGRADED, "member 1 rebuilding"));
    binding = Http.get(kit.system()).newServerAt("127.0.0.1", 0).bind(routes.routes())
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    base = "http://127.0.0.1:" + binding.localAddress().getPort();
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  static HttpResponse<String> send(HttpRequest.Builder request, String token) throws Exception {
    if (token != null) request.header("Authorization", "Bearer " + token);
    return http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> post(byte[] body, String token) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(base + "/records")).POST(HttpRequest.BodyPublishers.ofByteArray(body)), token);
  }

  static HttpResponse<String> get(String path, String token) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(base + path)).GET(), token);
  }

  @Test
  void withoutTheTokenNothingIsServed() throws Exception {
    for (HttpResponse<String> r : List.of(post(new byte[] {1}, null), get("/records", null), get("/health", null),
        post(new byte[] {1}, "wrong-token-wrong-token"))) {
      assertEquals(401, r.statusCode(), r.body());
      assertTrue(r.body().startsWith("a bearer token is required"), r.body());
      assertEquals(Optional.of("Bearer realm=\"rackshare-log\""), r.headers().firstValue("WWW-Authenticate"));
    }
  }

  @Test
  void anAppendIsAnsweredWithItsSequenceNumber() throws Exception {
    HttpResponse<String> r = post("hello".getBytes(), TOKEN);
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("{\"seq\":7}", r.body());
    HttpResponse<String> refused = post("x".getBytes(), TOKEN);
    assertEquals(503, refused.statusCode(), refused.body());
    assertEquals("the volume is full\n", refused.body());
  }

  @Test
  void badInputGetsAClearAnswer() throws Exception {
    HttpResponse<String> empty = post(new byte[0], TOKEN);
    assertEquals(400, empty.statusCode());
    assertTrue(empty.body().startsWith("empty record"), empty.body());
    HttpResponse<String> big = post(new byte[1025], TOKEN);
    assertEquals(413, big.statusCode(), big.body());
    assertEquals("a record has at most 1024 bytes\n", big.body());
    for (String q : List.of("from=x", "from=-1", "limit=0", "from=99999999999999999999")) {
      HttpResponse<String> r = get("/records?" + q, TOKEN);
      assertEquals(400, r.statusCode(), q + ": " + r.body());
      assertTrue(r.body().startsWith("from"), r.body());
    }
    assertEquals(404, get("/nothing", TOKEN).statusCode());
  }

  @Test
  void readsAndHealthAreJson() throws Exception {
    HttpResponse<String> r = get("/records?from=4&limit=1", TOKEN);
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(r.body().contains("\"seq\":4"), r.body());
    String payload = r.body().replaceAll(".*\"payload\":\"([^\"]*)\".*", "$1");
    assertArrayEquals(new byte[] {1, 2, 3}, Base64.getDecoder().decode(payload));
    assertTrue(r.body().contains("\"next\":5,\"count\":9"), r.body());
    HttpResponse<String> health = get("/health", TOKEN);
    assertEquals(200, health.statusCode(), health.body());
    assertEquals("{\"blade\":\"Rack(1)/Chassis(1)/Blade(1)\",\"volume\":\"DEGRADED\",\"status\":\"ok\",\"writer\":\"Rack(1)/Chassis(1)/Blade(2)\","
        + "\"records\":9}", health.body());
  }

  @Test
  void anApiBeyondLoopbackNeedsAToken() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LogServiceSettings("log", 1024,
        10, 1 << 20, 100, Duration.ofSeconds(3), Duration.ofSeconds(3), "0.0.0.0", 0, Optional.empty()));
    assertTrue(e.getMessage().contains("set log-service.http.token-file"), e.getMessage());
  }
}
