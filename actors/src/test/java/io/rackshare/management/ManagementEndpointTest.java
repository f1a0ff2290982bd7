package io.rackshare.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.map.Member;
import io.rackshare.testkit.TestBlades;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A blade's management endpoint against issue 13's attacks: changes without the operator token,
 * cross-site requests with it (a page in the operator's browser), and bad input (garbage, huge
 * numbers, control characters, a 20 MiB body). Nothing changes the map; every answer is one line;
 * the read-only status and map stay open on this host, and the map page's policy allows only its own script.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ManagementEndpointTest {

  static final String VOLUMES = """
      rackshare.volumes = [{ name = m, layout = raid1, members = ["Rack(1)/Chassis(1)/Blade(1)/Disk(0)",
          "Rack(1)/Chassis(1)/Blade(2)/Disk(0)"] }]
      rackshare.management { enabled = on, port = 0 }
      """;
  static final String DISK = "[{ file = \"disk0.img\", size = 1MiB, block-size = 4096 }]";
  static final String DEVICE = "Rack(1)/Chassis(1)/Blade(2)/Disk(0)";
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir static Path root;
  static TestBlades blades;
  static String url;
  static String token;

  @BeforeAll
  static void start() throws Exception {
    blades = new TestBlades(root, VOLUMES);
    blades.start(1, DISK);
    blades.start(2, DISK);
    blades.rackshare(1).awaitVolume("m", Duration.ofSeconds(30)).toCompletableFuture().get(40, TimeUnit.SECONDS);
    url = blades.rackshare(1).managementUrl().orElseThrow();
    token = blades.rackshare(1).operatorToken().orElseThrow().value();
  }

  @AfterAll
  static void stop() {
    blades.close();
  }

  static HttpResponse<String> post(String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).POST(HttpRequest.BodyPublishers.noBody())
        .timeout(Duration.ofSeconds(30));
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String fail(String device) {
    return "/volumes/m/fail?device=" + java.net.URLEncoder.encode(device, StandardCharsets.UTF_8);
  }

  static Member.State state() {
    return blades.rackshare(1).localMap().volume("m").orElseThrow().member(1).state();
  }

  static void oneLine(HttpResponse<String> r) {
    assertEquals(1, r.body().lines().count(), "one line: " + r.body());
    assertFalse(r.body().contains("\tat ") || r.body().contains("Exception"), r.body());
  }

  @Test
  void theTokenFileIsTheOwnersAlone() throws Exception {
    Path file = blades.rackshare(1).operatorToken().orElseThrow().file();
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(token, Files.readAllLines(file).get(0));
    HttpResponse<String> named = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/token-file")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, named.statusCode());
    assertEquals(file.toAbsolutePath().toString(), named.body().trim(), "this host is told where it is");
  }

  @Test
  void noChangeWithoutTheTokenOrFromAWebPage() throws Exception {
    HttpResponse<String> none = post(fail(DEVICE));
    assertEquals(401, none.statusCode(), none.body());
    assertTrue(none.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
    oneLine(none);
    assertEquals(401, post(fail(DEVICE), "Authorization", "Bearer " + token.substring(1) + "x").statusCode());
    assertEquals(401, post(fail(DEVICE), "Authorization", "Basic " + token).statusCode());
    // The operator's browser, on a page of another site, sends whatever credential it would.
    HttpResponse<String> page = post(fail(DEVICE), "Authorization", "Bearer " + token, "Origin", "http://evil.example");
    assertEquals(403, page.statusCode(), page.body());
    assertEquals(403, post(fail(DEVICE), "Authorization", "Bearer " + token, "Sec-Fetch-Site", "cross-site").statusCode());
    assertEquals(401, post("/console/select?blade=Rack(1)/Chassis(1)/Blade(2)").statusCode());
    HttpResponse<String> log = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/console/log?lines=5")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(401, log.statusCode(), "a console's output is the operator's: " + log.body());
    assertEquals(401, post("/blades/drain?blade=Rack(1)/Chassis(1)/Blade(2)").statusCode());
    assertEquals(403, post("/blades/undrain?blade=Rack(1)/Chassis(1)/Blade(2)", "Authorization", "Bearer " + token,
        "Origin", "http://evil.example").statusCode());
    assertTrue(blades.rackshare(1).localMap().drainingBlades().isEmpty(), "no blade is drained");
    assertEquals(Member.State.ACTIVE, state(), "nothing was failed");
    // The status is open on this host.
    HttpResponse<String> status = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/status")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, status.statusCode());
  }

  static HttpResponse<String> get(String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(30));
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The status code of a GET with {@code host} as its Host header (which Java's HttpClient will not send). */
  static int status(String path, String host, String... headers) throws Exception {
    URI u = URI.create(url);
    try (Socket s = new Socket(u.getHost(), u.getPort())) {
      s.setSoTimeout(10_000);
      StringBuilder request = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n");
      for (int i = 0; i < headers.length; i += 2) request.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
      s.getOutputStream().write(request.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
      String line = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
      return Integer.parseInt(line.substring(9, 12));
    }
  }

  @Test
  void theMapPageAndItsDrawingAreReadOnlyViewsWithAStrictPolicy() throws Exception {
    HttpResponse<String> page = get("/map");
    assertEquals(200, page.statusCode(), page.body());
    assertEquals("text/html; charset=UTF-8", page.headers().firstValue("Content-Type").orElse(""));
    assertEquals("nosniff", page.headers().firstValue("X-Content-Type-Options").orElse(""));
    String policy = page.headers().firstValue("Content-Security-Policy").orElse("");
    assertTrue(policy.startsWith("default-src 'none'"), policy);
    assertTrue(policy.contains("frame-ancestors 'none'") && !policy.contains("unsafe"), policy);
    // The policy allows exactly the page's own inline script and style sheet, and nothing is loaded from elsewhere.
    for (String tag : List.of("script", "style")) {
      String body = page.body();
      String inline = body.substring(body.indexOf("<" + tag + ">") + tag.length() + 2, body.indexOf("</" + tag + ">"));
      String hash = "'sha256-" + java.util.Base64.getEncoder().encodeToString(java.security.MessageDigest
          .getInstance("SHA-256").digest(inline.getBytes(StandardCharsets.UTF_8))) + "'";
      assertTrue(policy.contains(tag + "-src " + hash), tag + " " + hash + " in " + policy);
    }
    assertFalse(page.body().contains("src=") || page.body().contains("href=") || page.body().contains("//"),
        "nothing from elsewhere: " + page.body());

    HttpResponse<String> svg = get("/map.svg", "Sec-Fetch-Site", "same-origin");
    assertEquals(200, svg.statusCode(), "the page's own request: " + svg.body());
    assertEquals("image/svg+xml", svg.headers().firstValue("Content-Type").orElse(""));
    assertEquals("nosniff", svg.headers().firstValue("X-Content-Type-Options").orElse(""));
    assertTrue(svg.headers().firstValue("Content-Security-Policy").orElse("").startsWith("default-src 'none'"));
    assertTrue(svg.body().contains("data-blade=\"Rack(1)/Chassis(1)/Blade(2)\"") && svg.body().contains("data-volume=\"m\""),
        svg.body());

    // Pages of other sites get neither, whatever they send.
    for (String path : List.of("/map", "/map.svg")) {
      HttpResponse<String> origin = get(path, "Origin", "http://evil.example", "Authorization", "Bearer " + token);
      assertEquals(403, origin.statusCode(), path + ": " + origin.body());
      oneLine(origin);
      assertEquals(403, get(path, "Sec-Fetch-Site", "cross-site").statusCode(), path);
      assertEquals(403, get(path, "Sec-Fetch-Site", "same-site").statusCode(), path);
      // DNS rebinding: a page of the attacker's name, resolved to this blade, is "same origin".
      assertEquals(403, status(path, "evil.example:" + URI.create(url).getPort(), "Sec-Fetch-Site", "same-origin"), path);
    }
    assertEquals(200, status("/map", "localhost:" + URI.create(url).getPort(), "Sec-Fetch-Site", "none"), "by name");
    assertEquals(200, status("/map.svg", "evil.example", "User-Agent", "curl/8"), "not a browser: any name");
  }

  @Test
  void badInputIsOneLineAndChangesNothing() throws Exception {
    for (String device : List.of("garbage", "Rack(99999999999999999999)/Chassis(1)/Blade(2)/Disk(0)",
        "Rack(1)/Chassis(1)/Blade(2)/Disk(0)\n12:00:00.000 ERROR forged line", "\u0000\u00ff",
        "Rack(1)/Chassis(1)/Blade(7)/Disk(0)")) {
      HttpResponse<String> r = post(fail(device), "Authorization", "Bearer " + token);
      assertEquals(400, r.statusCode(), device + ": " + r.body());
      oneLine(r);
    }
    HttpResponse<String> noVolume = post("/volumes/nope/fail?device=" + DEVICE, "Authorization", "Bearer " + token);
    assertEquals(400, noVolume.statusCode());
    assertTrue(noVolume.body().contains("no volume 'nope'"), noVolume.body());
    for (String lines : List.of("abc", "99999999999999", "-1")) {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/console/log?lines=" + lines))
          .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(400, r.statusCode(), lines + ": " + r.body());
      oneLine(r);
    }
    assertEquals(401, post("/blades/drain?blade=Rack(1)/Chassis(1)/Blade(2)").statusCode());
    assertEquals(403, post("/blades/undrain?blade=Rack(1)/Chassis(1)/Blade(2)", "Authorization", "Bearer " + token,
        "Origin", "http://evil.example").statusCode());
    assertTrue(blades.rackshare(1).localMap().drainingBlades().isEmpty(), "no blade is drained");
    assertEquals(Member.State.ACTIVE, state(), "nothing was failed");
  }

  @Test
  void aHugeBodyIsRefusedWithoutBeingRead() throws Exception {
    URI u = URI.create(url);
    try (Socket s = new Socket(u.getHost(), u.getPort())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(("POST " + fail(DEVICE) + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
          + "\r\nContent-Length: " + (20 << 20) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(new byte[64 << 10]);
      out.flush();
      InputStream in = s.getInputStream();
      String status = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
      assertEquals("HTTP/1.1 413", status);
    }
    assertEquals(Member.State.ACTIVE, state());
  }

  @Test
  @Order(Integer.MAX_VALUE)
  void theOperatorFailsAMemberWithTheToken() throws Exception {
    // Last: it changes the map.
    HttpResponse<String> r = post(fail(DEVICE), "Authorization", "Bearer " + token);
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(r.body().contains("\"epoch\""), r.body());
    assertEquals(Member.State.FAILED, state());
  }
}
