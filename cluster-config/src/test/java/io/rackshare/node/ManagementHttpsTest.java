package io.rackshare.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.io.TlsContexts;
import io.rackshare.management.BladeStatus;
import io.rackshare.management.ManagementEndpoint;
import io.rackshare.management.OperatorToken;
import io.rackshare.tls.ClusterCa;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Management over HTTPS with the blade's certificate: a client that trusts the cluster's CA is
 * served (the CLI with {@code --ca}), one that does not is told what to give, and plain HTTP gets
 * nothing on the HTTPS port.
 */
class ManagementHttpsTest {

  @TempDir static Path dir;
  static ActorSystem<Void> system;
  static ServerBinding binding;
  static String url;
  static Path ca;
  static Path tokenFile;
  static final List<String> failed = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    ClusterCa cluster = ClusterCa.create(dir.resolve("ca"), "rackshare");
    Path blade = cluster.issue("blade1", List.of("127.0.0.1"), dir.resolve("blade1"));
    ca = blade.resolve(ClusterCa.CA_CERT);
    system = ActorSystem.create(Behaviors.empty(), "https-test");
    OperatorToken token = OperatorToken.load(dir.resolve("operator-token"));
    tokenFile = token.file();
    ManagementEndpoint.Operations ops = new ManagementEndpoint.Operations() {
      @Override
      public CompletionStage<BladeStatus> status() {
        return CompletableFuture.failedFuture(new IllegalStateException("not in this test"));
      }

      @Override
      public CompletionStage<Long> failMember(String volume, String device) {
        failed.add(volume + " " + device);
        return CompletableFuture.completedFuture(7L);
      }
    };
    binding = ManagementEndpoint.start(system, "127.0.0.1", 0, ops, token, TlsContexts.reloading(blade, "test",
            Duration.ofSeconds(10)))
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    url = ManagementEndpoint.url(binding, true);
  }

  @AfterAll
  static void stop() {
    system.terminate();
  }

  static int cli(StringWriter err, String... args) {
    return RackshareCli.commandLine().setErr(new PrintWriter(err, true)).execute(args);
  }

  @Test
  void aClientThatTrustsTheClustersCaIsServedOverHttps() throws Exception {
    assertTrue(url.startsWith("https://127.0.0.1:"), url);
    HttpClient trusting = HttpClient.newBuilder().sslContext(TlsContexts.trustingOnly(ca)).build();
    HttpResponse<String> r = trusting.send(HttpRequest.newBuilder(URI.create(url + "/volumes/m/fail?device=x"))
        .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(401, r.statusCode(), "served (and, without the token, refused): " + r.body());
    StringWriter err = new StringWriter();
    assertEquals(0, cli(err, "fail", "--url", url, "--ca", ca.toString(), "--token-file", tokenFile.toString(),
        "--volume", "m", "--device", "Rack(1)/Chassis(1)/Blade(2)/Disk(0)"), err.toString());
    assertEquals(List.of("m Rack(1)/Chassis(1)/Blade(2)/Disk(0)"), failed);
  }

  @Test
  void aClientThatDoesNotTrustItIsToldWhatToGive() {
    StringWriter err = new StringWriter();
    assertEquals(2, cli(err, "fail", "--url", url, "--token-file", tokenFile.toString(), "--volume", "m",
        "--device", "Rack(1)/Chassis(1)/Blade(2)/Disk(0)"));
    assertTrue(err.toString().contains("give --ca with the cluster's ca.crt"), err.toString());
  }

  @Test
  void plainHttpGetsNothingOnTheHttpsPort() {
    String plain = url.replace("https://", "http://");
    assertThrows(java.io.IOException.class, () -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
        plain + "/volumes/m/fail?device=x")).POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10))
        .build(), HttpResponse.BodyHandlers.ofString()));
  }
}
