package io.rackshare.console;

import io.rackshare.util.LogText;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.ws.BinaryMessage;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The station's web face (Pekko HTTP): RFB over WebSocket at {@code /websockify}, so that a
 * browser viewer (noVNC) connects directly, a viewer page at {@code /}, and noVNC itself under
 * {@code /novnc/} (from the jar, where the build put the npm package; or from {@code novncDir}).
 * The WebSocket carries the same bytes as the TCP port, authentication included: each connection
 * is bridged to the station's RFB server on loopback, which always asks for the password here.
 * The audio of the blade shown comes as a second WebSocket, {@code /audio} ({@link AudioSocket},
 * behind the same password), which the page's script {@code /audio.js} plays.
 *
 * <p>What a web page elsewhere cannot do (docs/SECURITY.md): open the WebSocket from another
 * origin (an {@code Origin} other than the page's own is refused with 403; clients that send none,
 * such as websockify tools, are not browsers acting for a page), reach the station through a
 * name of its own that resolves here (DNS rebinding: only IP literals, {@code localhost}, this
 * host's names and {@code web-hosts} are served; 421 otherwise), or frame the page.
 */
public final class StationWeb extends AllDirectives {
  private static final Logger log = LoggerFactory.getLogger(StationWeb.class);
  /** Where the build put noVNC's files on the class path. */
  static final String NOVNC_RESOURCES = "io/rackshare/console/novnc";

  private static final List<HttpHeader> PAGE_HEADERS = List.of(
      RawHeader.create("Content-Security-Policy", "frame-ancestors 'none'"),
      RawHeader.create("X-Frame-Options", "DENY"),
      RawHeader.create("Referrer-Policy", "no-referrer"),
      RawHeader.create("X-Content-Type-Options", "nosniff"),
      RawHeader.create("Cache-Control", "no-store"));

  /** Connections at once (the RFB server behind takes 32 viewers). */
  static final int MAX_CONNECTIONS = 64;
  /**
   * A connection with no traffic either way for this long is closed: an HTTP client that holds a
   * connection (or half-closes it and waits) gives it back. Viewers stay: see {@link #KEEP_ALIVE}.
   */
  static final java.time.Duration IDLE_TIMEOUT = java.time.Duration.ofSeconds(20);
  /**
   * A WebSocket quiet for this long gets a ping (browsers answer it by themselves), so that a
   * viewer of a screen that does not change is not taken for an idle connection.
   */
  static final java.time.Duration KEEP_ALIVE = java.time.Duration.ofSeconds(10);

  private final ActorSystem<?> system;
  private final InetSocketAddress rfb;
  private final Path novncDir;
  private final String page;
  private final Set<String> hostNames;

  private final AudioSocket audio;
  private final String audioScript;

  private StationWeb(ActorSystem<?> system, InetSocketAddress rfb, Path novncDir, String novncUrl, Set<String> hostNames,
      AudioSocket audio) {
    this.system = system;
    this.audio = audio;
    this.rfb = rfb;
    this.novncDir = novncDir;
    this.hostNames = hostNames;
    try (InputStream in = StationWeb.class.getResourceAsStream("viewer.html")) {
      this.page = new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("@NOVNC_URL@", novncUrl);
    } catch (IOException e) {
      throw new IllegalStateException("the viewer page is missing", e);
    }
    try (InputStream in = StationWeb.class.getResourceAsStream("station-audio.js")) {
      this.audioScript = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("the viewer's audio script is missing", e);
    }
  }

  /**
   * Serves on {@code hostname:port}; {@code webHosts}: further names the station may be reached
   * by (e.g. a DNS name of this host), beyond IP literals, localhost and this host's own names.
   */
  public static CompletionStage<ServerBinding> start(ActorSystem<?> system, String hostname, int port,
      InetSocketAddress rfb, Path novncDir, String novncUrl, List<String> webHosts) {
    return start(system, hostname, port, rfb, novncDir, novncUrl, webHosts, null);
  }

  /** As above; with {@code tls} (the blade's certificate), over HTTPS (and wss://) only. */
  public static CompletionStage<ServerBinding> start(ActorSystem<?> system, String hostname, int port,
      InetSocketAddress rfb, Path novncDir, String novncUrl, List<String> webHosts,
      java.util.function.Supplier<javax.net.ssl.SSLContext> tls) {
    return start(system, hostname, port, rfb, novncDir, novncUrl, webHosts, tls, null);
  }

  /** As above; with {@code audio}, the station's audio for its viewers at {@code /audio} (null: none). */
  public static CompletionStage<ServerBinding> start(ActorSystem<?> system, String hostname, int port,
      InetSocketAddress rfb, Path novncDir, String novncUrl, List<String> webHosts,
      java.util.function.Supplier<javax.net.ssl.SSLContext> tls, AudioSocket audio) {
    if (novncDir == null && StationWeb.class.getClassLoader().getResource(NOVNC_RESOURCES + "/core/rfb.js") == null) {
      log.warn("console station: noVNC is not in the jar (built without it?); set rackshare.console.station.novnc-dir");
    }
    Set<String> names = io.rackshare.io.HostNames.own(hostname, webHosts);
    ServerSettings base = ServerSettings.create(system.settings().config());
    ServerSettings settings = base.withMaxConnections(MAX_CONNECTIONS)
        .withTimeouts(base.getTimeouts().withIdleTimeout(scala.concurrent.duration.Duration.create(
            IDLE_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)))
        .withWebsocketSettings(base.getWebsocketSettings().withPeriodicKeepAliveMode("ping")
            .withPeriodicKeepAliveMaxIdle(KEEP_ALIVE));
    var server = Http.get(system).newServerAt(hostname, port).withSettings(settings);
    if (tls != null) server = server.enableHttps(io.rackshare.io.TlsContexts.httpsServer(tls));
    return server.bind(new StationWeb(system, rfb, novncDir, novncUrl, names, audio).routes());
  }

  Route routes() {
    Route files = pathPrefix("novnc", () -> novncDir == null ? getFromResourceDirectory(NOVNC_RESOURCES)
        : getFromDirectory(novncDir.toString()));
    return extractRequest(request -> knownHost(request, () -> concat(
        path("websockify", () -> sameOrigin(request, () -> handleWebSocketMessages(bridge()))),
        path("audio", () -> audio == null ? complete(StatusCodes.NOT_FOUND, "this station relays no audio\n")
            : sameOrigin(request, () -> handleWebSocketMessages(audio.flow()))),
        path("audio.js", () -> get(() -> respondWithHeaders(PAGE_HEADERS, () -> complete(HttpEntities.create(
            ContentTypes.create(org.apache.pekko.http.javadsl.model.MediaTypes.APPLICATION_JAVASCRIPT,
                org.apache.pekko.http.javadsl.model.HttpCharsets.UTF_8), audioScript))))),
        pathSingleSlash(() -> get(() -> respondWithHeaders(PAGE_HEADERS,
            () -> complete(HttpEntities.create(ContentTypes.TEXT_HTML_UTF8, page))))),
        files)));
  }

  private Route knownHost(HttpRequest request, Supplier<Route> inner) {
    if (io.rackshare.io.HostNames.known(request, hostNames)) return inner.get();
    log.warn("console station: refused a request for host {} (not a name of this station; see web-hosts)",
        LogText.quote(io.rackshare.io.HostNames.of(request).orElse("")));
    return complete(StatusCodes.MISDIRECTED_REQUEST, "not a name of this station\n");
  }

  /**
   * Lets a WebSocket through only without an {@code Origin} (not a browser) or from the page's
   * own origin: the scheme's host and port are those the request was sent to.
   */
  private Route sameOrigin(HttpRequest request, Supplier<Route> inner) {
    Optional<String> origin = request.getHeader("Origin").map(HttpHeader::value);
    if (origin.isEmpty()) return inner.get();
    String host = request.getHeader("Host").map(HttpHeader::value).orElse("").trim().toLowerCase(Locale.ROOT);
    if (sameOrigin(origin.get(), host)) return inner.get();
    log.warn("console station: refused a WebSocket from origin {} (the page is {})", LogText.quote(origin.get()),
        LogText.quote(host));
    return complete(StatusCodes.FORBIDDEN, "cross-origin WebSocket refused\n");
  }

  /** Whether {@code origin} (scheme://host[:port]) names {@code host} (host[:port] of the request). */
  static boolean sameOrigin(String origin, String host) {
    try {
      URI o = URI.create(origin.trim());
      if (o.getScheme() == null || o.getHost() == null || o.getRawPath() != null && !o.getRawPath().isEmpty()) {
        return false;
      }
      String scheme = o.getScheme().toLowerCase(Locale.ROOT);
      int defaultPort = scheme.equals("https") ? 443 : scheme.equals("http") ? 80 : -1;
      if (defaultPort < 0) return false;
      String authority = o.getHost().toLowerCase(Locale.ROOT) + (o.getPort() < 0 || o.getPort() == defaultPort ? ""
          : ":" + o.getPort());
      String h = host.endsWith(":" + defaultPort) ? host.substring(0, host.length() - (":" + defaultPort).length()) : host;
      return authority.equals(h);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** Binary WebSocket messages to and from a TCP connection to the RFB server. */
  private Flow<Message, Message, NotUsed> bridge() {
    return Flow.<Message>create()
        .flatMapConcat(m -> m.isText()
            ? Source.<org.apache.pekko.util.ByteString>empty().mapMaterializedValue(x -> (Object) x)
            : m.asBinaryMessage().getStreamedData().mapMaterializedValue(x -> (Object) x))
        .via(Tcp.get(system).outgoingConnection(rfb.getHostString(), rfb.getPort()))
        .map(bytes -> (Message) BinaryMessage.create(bytes));
  }
}
