package io.rackshare.node;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The {@code --url} of a blade's management endpoint, for the commands that talk to one, and the
 * operator token they show it: from {@code --token-file}, else, on the blade's own host, from the
 * file the blade names ({@code GET /token-file}, which it answers only to clients on its host).
 */
final class Endpoint {

  @Option(names = "--url", defaultValue = "http://127.0.0.1:8558",
      description = "a blade's management endpoint (default ${DEFAULT-VALUE})")
  URI url;

  @Option(names = "--token-file", description = "the operator token's file (default: the one the blade names, on its host)")
  Path tokenFile;

  @Option(names = "--ca", description = "for https:// endpoints, the cluster's CA certificate (ca.crt) to trust")
  Path ca;

  private HttpClient client;

  private HttpClient client() {
    if (client == null) {
      HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
      if (ca != null) b.sslContext(io.rackshare.io.TlsContexts.trustingOnly(ca));
      client = b.build();
    }
    return client;
  }

  /** Sends {@code request} for {@code path} with the operator token; anything but 200 is a clear error. */
  String call(String path, HttpRequest.Builder request, Duration timeout) throws InterruptedException {
    String token = token();
    if (token != null) request.header("Authorization", "Bearer " + token);
    HttpResponse<String> r = send(request.uri(url.resolve(path)).timeout(timeout));
    if (r.statusCode() == 401) {
      throw new IllegalArgumentException(url + " wants the operator token: " + r.body().trim()
          + (tokenFile == null ? " (on another host than the blade's, give --token-file)" : ""));
    }
    if (r.statusCode() != 200) throw new IllegalArgumentException(url + " answered " + r.statusCode() + ": " + r.body());
    return r.body();
  }

  /** A change: {@code POST path} with no body (the endpoint takes none), as {@link #call} does. */
  String post(String path, Duration timeout) throws InterruptedException {
    return call(path, HttpRequest.newBuilder().POST(HttpRequest.BodyPublishers.noBody()), timeout);
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws InterruptedException {
    try {
      return client().send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (javax.net.ssl.SSLHandshakeException e) {
      throw new IllegalArgumentException(url + " shows a certificate this client does not trust"
          + (ca == null ? ": give --ca with the cluster's ca.crt" : " (not of --ca " + ca + ")") + ": " + e.getMessage());
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("no blade answers at " + url + ": " + e);
    }
  }

  /** The token, or null where none can be found (the read-only views need none on the blade's host). */
  private String token() throws InterruptedException {
    Path file = tokenFile;
    if (file == null) {
      HttpResponse<String> r = send(HttpRequest.newBuilder(url.resolve("/token-file")).timeout(Duration.ofSeconds(10)));
      if (r.statusCode() != 200) return null;
      file = Path.of(r.body().trim());
    }
    try {
      return Files.readAllLines(file).stream().findFirst().map(String::trim).orElse(null);
    } catch (java.io.IOException e) {
      if (tokenFile != null) throw new IllegalArgumentException("--token-file " + tokenFile + ": " + e.getMessage());
      return null; // another user's blade: its file is not ours to read
    }
  }
}
