package io.rackshare.management;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.RemoteAddress;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

/**
 * A blade's management endpoint (Pekko HTTP, on the management address): {@code GET /status}
 * answers this blade's {@link BladeStatus} as JSON, {@code GET /map} draws the global map live in
 * a browser ({@link MapPage}, {@link MapSvg}); operators fail members and route the console.
 *
 * <p>Who may do what (docs/SECURITY.md, "Management"): every change, and the console's log, needs
 * the operator token ({@code Authorization: Bearer ...}, compared in constant time; see {@link
 * OperatorToken}); a request that comes from a page of a web site ({@code Origin} or {@code
 * Sec-Fetch-Site} of another site) is refused even with it. The read-only views ({@code /status},
 * {@code /pool}, {@code /metrics}, {@code /console}, the map page {@code /map} and its drawing
 * {@code /map.svg}) are open to clients on this host and need the token from elsewhere. Bad input
 * gets 400 with one line; nothing a client sends reaches the log unescaped or with a stack
 * trace. Bounded: 64 connections, no request bodies (413), 4 KiB URIs.
 */
public final class ManagementEndpoint extends AllDirectives {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ManagementEndpoint.class);

  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  static final int MAX_CONNECTIONS = 64;

  /** What the endpoint asks of its blade. */
  public interface Operations {
    CompletionStage<BladeStatus> status();

    /**
     * Fails a member as if its device had failed (md's {@code --fail}): a hot spare takes its
     * place, or it is resynchronised when its blade next registers. Completes with the map epoch
     * that no longer reads it.
     */
    CompletionStage<Long> failMember(String volume, String device);

    /** Creates a volume on the pool; completes with what was placed, once it serves. */
    default CompletionStage<java.util.Map<String, Object>> createVolume(io.rackshare.map.VolumeRequest request) {
      return java.util.concurrent.CompletableFuture.failedFuture(new IllegalArgumentException("no pool here"));
    }

    /** Grows a volume on the pool to {@code size} (e.g. "2G"); completes with what it holds, once it has it. */
    default CompletionStage<java.util.Map<String, Object>> growVolume(String volume, String size) {
      return java.util.concurrent.CompletableFuture.failedFuture(new IllegalArgumentException("no pool here"));
    }

    /** Removes a volume on the pool (refused while NBD clients use it, unless {@code force}). */
    default CompletionStage<java.util.Map<String, Object>> removeVolume(String volume, boolean force) {
      return java.util.concurrent.CompletableFuture.failedFuture(new IllegalArgumentException("no pool here"));
    }

    /** Drains ({@code on}) or undrains blade {@code blade} ("Rack(r)/Chassis(c)/Blade(s)"); completes with the moves under way. */
    default CompletionStage<java.util.Map<String, Object>> drainBlade(String blade, boolean on) {
      return java.util.concurrent.CompletableFuture.failedFuture(new IllegalArgumentException("no pool here"));
    }

    /**
     * Inserts {@code image} into the removable-media drive {@code drive} (a device path, or the
     * name of its volume), or ejects its medium ({@code image} null); completes once this blade's
     * map shows the change.
     */
    default CompletionStage<java.util.Map<String, Object>> changeMedium(String drive, String image) {
      return java.util.concurrent.CompletableFuture.failedFuture(new IllegalArgumentException("no media here"));
    }

    /** The pool's disks and what uses them, as this blade sees them. */
    default CompletionStage<PoolStatus> pool() {
      return java.util.concurrent.CompletableFuture.failedFuture(new IllegalArgumentException("no pool here"));
    }

    /**
     * The global map as this blade sees it, drawn as SVG ({@link MapSvg}). The blade draws it
     * from one look at its state; this default asks for the status and the pool apart (and draws
     * no disks where there is no pool).
     */
    default CompletionStage<String> mapSvg() {
      CompletionStage<PoolStatus> pool;
      try {
        pool = pool();
      } catch (RuntimeException e) {
        pool = java.util.concurrent.CompletableFuture.failedFuture(e);
      }
      CompletionStage<PoolStatus> orNone = pool.exceptionally(e -> new PoolStatus(java.util.List.of(),
          java.util.List.of(), 0, 0, 0, 0));
      return status().thenCombine(orNone, MapSvg::render);
    }

    /** This blade's metrics in Prometheus' text format. */
    default CompletionStage<String> metrics() {
      return java.util.concurrent.CompletableFuture.failedFuture(new IllegalArgumentException("no metrics here"));
    }

    /** The console station on this blade: its target, banner and addresses. */
    default CompletionStage<java.util.Map<String, Object>> console() {
      return java.util.concurrent.CompletableFuture.failedFuture(
          new IllegalArgumentException("this blade hosts no console station"));
    }

    /** The last {@code lines} lines of the station's target's console log (conserver's replay). */
    default CompletionStage<Object> consoleLog(int lines) {
      return java.util.concurrent.CompletableFuture.failedFuture(
          new IllegalArgumentException("this blade hosts no console station"));
    }

    /** Routes the station to {@code blade}'s console; completes with {@link #console()}. */
    default CompletionStage<java.util.Map<String, Object>> consoleSelect(String blade) {
      return console();
    }
  }

  private final Operations ops;
  private final OperatorToken token;
  /** The names a browser may reach this endpoint by ({@link io.rackshare.io.HostNames}: against DNS rebinding). */
  private final java.util.Set<String> hostNames;

  private ManagementEndpoint(Operations ops, OperatorToken token, java.util.Set<String> hostNames) {
    this.ops = ops;
    this.token = token;
    this.hostNames = hostNames;
  }

  /** Binds the endpoint; the stage completes with the bound address. */
  public static CompletionStage<ServerBinding> start(ActorSystem<?> system, String hostname, int port, Operations ops,
      OperatorToken token) {
    return start(system, hostname, port, ops, token, null);
  }

  /** As above; with {@code tls} (the blade's certificate), over HTTPS only. */
  public static CompletionStage<ServerBinding> start(ActorSystem<?> system, String hostname, int port, Operations ops,
      OperatorToken token, java.util.function.Supplier<javax.net.ssl.SSLContext> tls) {
    ServerSettings base = ServerSettings.create(system.settings().config());
    ServerSettings settings = base.withRemoteAddressAttribute(true).withMaxConnections(MAX_CONNECTIONS)
        .withParserSettings(base.getParserSettings().withMaxContentLength(64 * 1024).withMaxUriLength(4096));
    var server = Http.get(system).newServerAt(hostname, port).withSettings(settings);
    if (tls != null) server = server.enableHttps(io.rackshare.io.TlsContexts.httpsServer(tls));
    return server.bind(new ManagementEndpoint(ops, token, io.rackshare.io.HostNames.own(hostname, java.util.List.of()))
        .routes());
  }

  Route routes() {
    return handleExceptions(ERRORS, () -> extractRequest(request -> bodyless(request) ? concat(
        path("status", () -> get(() -> reader(request, () -> completeWithFuture(answer(() -> ops.status()))))),
        path(segment("volumes").slash(segment()).slash("fail"), volume -> post(() -> operator(request, () ->
            parameter("device", device -> completeWithFuture(answer(() -> ops.failMember(volume, device)
                .thenApply(epoch -> java.util.Map.of("volume", volume, "device", device, "epoch", epoch)))))))),
        path(segment("volumes").slash(segment()).slash("grow"), volume -> post(() -> operator(request, () ->
            parameter("size", size -> completeWithFuture(answer(() -> ops.growVolume(volume, size))))))),
        path(segment("volumes").slash(segment()).slash("remove"), volume -> post(() -> operator(request, () ->
            parameterOptional("force", force -> completeWithFuture(answer(() -> ops.removeVolume(volume,
                force.map(f -> f.equals("true") || f.equals("yes") || f.equals("1")).orElse(false)))))))),
        path("volumes", () -> post(() -> operator(request, () -> parameterMap(p ->
            completeWithFuture(answer(() -> ops.createVolume(volumeRequest(p)))))))),
        path(segment("blades").slash("drain"), () -> post(() -> operator(request, () -> parameter("blade", blade ->
            completeWithFuture(answer(() -> ops.drainBlade(blade, true))))))),
        path(segment("blades").slash("undrain"), () -> post(() -> operator(request, () -> parameter("blade", blade ->
            completeWithFuture(answer(() -> ops.drainBlade(blade, false))))))),
        path(segment("media").slash("insert"), () -> post(() -> operator(request, () -> parameter("drive", drive ->
            parameter("image", image -> completeWithFuture(answer(() -> ops.changeMedium(drive, image)))))))),
        path(segment("media").slash("eject"), () -> post(() -> operator(request, () -> parameter("drive", drive ->
            completeWithFuture(answer(() -> ops.changeMedium(drive, null))))))),
        path("pool", () -> get(() -> reader(request, () -> completeWithFuture(answer(() -> ops.pool()))))),
        path("metrics", () -> get(() -> reader(request, () -> completeWithFuture(text(ops::metrics))))),
        path("map", () -> get(() -> reader(request, () -> complete(MapPage.page())))),
        path("map.svg", () -> get(() -> reader(request, () -> completeWithFuture(respond(ops::mapSvg, MapPage::svg))))),
        path("console", () -> get(() -> reader(request, () -> completeWithFuture(answer(ops::console))))),
        path(segment("console").slash("log"), () -> get(() -> operator(request, () -> parameterOptional("lines", lines ->
            completeWithFuture(answer(() -> ops.consoleLog(lines(lines.orElse("25"))))))))),
        path(segment("console").slash("select"), () -> post(() -> operator(request, () -> parameter("blade", blade ->
            completeWithFuture(answer(() -> ops.consoleSelect(blade))))))),
        path("token-file", () -> get(() -> local(request)
            ? complete(token.file().toAbsolutePath() + "\n")
            : refuse(StatusCodes.FORBIDDEN, "the token file is named only to clients on this host"))),
        pathSingleSlash(() -> get(() -> complete(
            "Rackshare blade management: GET /status, GET /pool, GET /metrics (Prometheus),"
                + " GET /map (the global map, live in a browser on this host), GET /map.svg,"
                + " POST /volumes?name=N&layout=L&size=S[&copies=C][&width=W][&spares=K][&options=k=v,...],"
                + " POST /volumes/{name}/grow?size=S, POST /volumes/{name}/remove[?force=true], POST /volumes/{name}/fail?device=Rack(r)/Chassis(c)/Blade(s)/Disk(n),"
                + " POST /blades/drain?blade=Rack(r)/Chassis(c)/Blade(s), POST /blades/undrain?blade=...,"
                + " POST /media/insert?drive=Rack(r)/Chassis(c)/Blade(s)/Media(n)|volume&image=FILE, POST /media/eject?drive=...,"
                + " GET /console, GET /console/log?lines=N, POST /console/select?blade=Rack(r)/Chassis(c)/Blade(s)."
                + " Changes need Authorization: Bearer <operator token> (GET /token-file, on this host, names its file).\n"))))
        : refuse(StatusCodes.PAYLOAD_TOO_LARGE, "requests here have no body")));
  }

  /**
   * Whether the request has no body: none of the endpoint's requests takes one, and a route that
   * does not read a body would not be stopped by the parser's size limit (bodies stream lazily).
   */
  static boolean bodyless(HttpRequest request) {
    java.util.OptionalLong n = request.entity().getContentLengthOption();
    return n.isPresent() && n.getAsLong() == 0;
  }

  /** Anything a route throws: 400 with one line for bad input, else 500 with one line (logged once, escaped). */
  private static final org.apache.pekko.http.javadsl.server.ExceptionHandler ERRORS =
      org.apache.pekko.http.javadsl.server.ExceptionHandler.newBuilder()
          .match(IllegalArgumentException.class, e -> refuse(StatusCodes.BAD_REQUEST, e.getMessage()))
          .matchAny(e -> {
            log.warn("management: {}", io.rackshare.util.LogText.printable(String.valueOf(e)));
            return refuse(StatusCodes.INTERNAL_SERVER_ERROR, "internal error (see the blade's log)");
          })
          .build();

  /**
   * {@code POST /volumes?name=N&layout=L&size=S[&copies=C][&width=W][&spares=K][&options=k=v,k=v]}
   * as a request; a clear error for anything missing, unknown or malformed.
   */
  static io.rackshare.map.VolumeRequest volumeRequest(java.util.Map<String, String> p) {
    java.util.Set<String> known = java.util.Set.of("name", "layout", "size", "copies", "width", "spares", "options");
    for (String k : p.keySet()) {
      if (!known.contains(k)) throw new IllegalArgumentException("unknown parameter " + io.rackshare.util.LogText.quote(k));
    }
    for (String k : java.util.List.of("name", "layout", "size")) {
      if (!p.containsKey(k)) throw new IllegalArgumentException("a volume needs " + k + "=");
    }
    java.util.Map<String, String> options = new java.util.TreeMap<>();
    String text = p.getOrDefault("options", "");
    for (String kv : text.isBlank() ? new String[0] : text.split(",")) {
      int eq = kv.indexOf('=');
      if (eq <= 0) throw new IllegalArgumentException("options: key=value pairs separated by commas, not "
          + io.rackshare.util.LogText.quote(kv));
      options.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
    }
    return new io.rackshare.map.VolumeRequest(p.get("name"), p.get("layout"),
        io.rackshare.map.VolumeRequest.parseSize(p.get("size")), count(p, "copies"), count(p, "width"),
        count(p, "spares"), options);
  }

  private static int count(java.util.Map<String, String> p, String key) {
    String v = p.getOrDefault(key, "0").trim();
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + ": a number, not " + io.rackshare.util.LogText.quote(v));
    }
  }

  static int lines(String text) {
    try {
      int n = Integer.parseInt(text.trim());
      if (n < 1 || n > 10_000) throw new NumberFormatException();
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("lines: a number from 1 to 10000, not " + io.rackshare.util.LogText.quote(text));
    }
  }

  /** Whether the request comes from this host (loopback or one of its own addresses). */
  static boolean local(HttpRequest request) {
    return request.getAttribute(AttributeKeys.remoteAddress).flatMap(RemoteAddress::getAddress)
        .map(ManagementEndpoint::ownAddress).orElse(false);
  }

  static boolean ownAddress(java.net.InetAddress a) {
    if (a.isLoopbackAddress() || a.isAnyLocalAddress()) return true;
    try {
      return java.net.NetworkInterface.getByInetAddress(a) != null;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  /**
   * A browser acting for a page of some web site: a cross-site fetch or form says so in {@code
   * Sec-Fetch-Site}, and any {@code Origin} on a request here is a page's. The endpoint's own page
   * ({@code /map}) only GETs {@code /map.svg} from its own origin, which a browser sends with
   * {@code Sec-Fetch-Site: same-origin} and without {@code Origin} (the Fetch standard adds it to a
   * same-origin request only for methods other than GET and HEAD); so an {@code Origin} is never
   * the endpoint's own page. The CLI and curl send neither. A page of an attacker's name that
   * resolves to this blade (DNS rebinding) would be "same origin": a browser's request (one with
   * {@code Sec-Fetch-Site}) is served only for an IP literal, {@code localhost} or this host's
   * own names ({@code hostNames}).
   */
  static Optional<String> fromAWebPage(HttpRequest request, java.util.Set<String> hostNames) {
    Optional<String> origin = request.getHeader("Origin").map(HttpHeader::value);
    if (origin.isPresent()) return Optional.of("Origin " + io.rackshare.util.LogText.quote(origin.get()));
    Optional<String> site = request.getHeader("Sec-Fetch-Site").map(HttpHeader::value);
    if (site.isPresent() && !site.get().equals("none") && !site.get().equals("same-origin")) {
      return Optional.of("Sec-Fetch-Site " + io.rackshare.util.LogText.quote(site.get()));
    }
    if (site.isPresent() && !io.rackshare.io.HostNames.known(request, hostNames)) {
      return Optional.of("a browser's request for host "
          + io.rackshare.util.LogText.quote(io.rackshare.io.HostNames.of(request).orElse("")) + ", not a name of this host");
    }
    return Optional.empty();
  }

  /** Whether the request carries the operator token. */
  private boolean authorized(HttpRequest request) {
    return request.getHeader("Authorization").map(HttpHeader::value)
        .filter(v -> v.regionMatches(true, 0, "Bearer ", 0, 7)).map(v -> token.matches(v.substring(7).trim()))
        .orElse(false);
  }

  /** A change (or the console's log): the operator token, and not from a web page. */
  private Route operator(HttpRequest request, Supplier<Route> inner) {
    Optional<String> page = fromAWebPage(request, hostNames);
    if (page.isPresent()) {
      log.warn("management: refused {} {} from a web page ({})", request.method().value(),
          io.rackshare.util.LogText.quote(request.getUri().path()), page.get());
      return refuse(StatusCodes.FORBIDDEN, "refused: a request from a web page (" + page.get() + ")");
    }
    if (!authorized(request)) {
      log.warn("management: refused {} {} without the operator token", request.method().value(),
          io.rackshare.util.LogText.quote(request.getUri().path()));
      return respondWithHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"rackshare\""),
          () -> refuse(StatusCodes.UNAUTHORIZED, "this needs the operator token (Authorization: Bearer ...)"));
    }
    return inner.get();
  }

  /** A read-only view: open on this host, the token from elsewhere; never for a web page of another site. */
  private Route reader(HttpRequest request, Supplier<Route> inner) {
    if (fromAWebPage(request, hostNames).isPresent()) {
      return refuse(StatusCodes.FORBIDDEN, "refused: a request from a web page");
    }
    if (local(request) || authorized(request)) return inner.get();
    return respondWithHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"rackshare\""),
        () -> refuse(StatusCodes.UNAUTHORIZED, "from another host this needs the operator token"));
  }

  static Route refuse(org.apache.pekko.http.javadsl.model.StatusCode status, String why) {
    return new AllDirectives() {}.complete(HttpResponse.create().withStatus(status)
        .withEntity(ContentTypes.TEXT_PLAIN_UTF8, io.rackshare.util.LogText.printable(String.valueOf(why)) + "\n"));
  }

  /** Prometheus' text format of what the stage gives, or the error {@link #answer} would give. */
  static CompletionStage<HttpResponse> text(Supplier<CompletionStage<String>> call) {
    return respond(call, body -> HttpResponse.create().withEntity(ContentTypes.TEXT_PLAIN_UTF8, body));
  }

  /** JSON of what the stage gives (asked for by {@code call}, which may throw), or 400/503 with the reason. */
  static CompletionStage<HttpResponse> answer(Supplier<CompletionStage<?>> call) {
    return respond(call, ManagementEndpoint::json);
  }

  /** {@code ok} of what the stage gives (asked for by {@code call}, which may throw), or 400/503 with the reason. */
  private static <T> CompletionStage<HttpResponse> respond(Supplier<? extends CompletionStage<? extends T>> call,
      java.util.function.Function<? super T, HttpResponse> ok) {
    CompletionStage<? extends T> stage;
    try {
      stage = call.get();
    } catch (RuntimeException e) {
      stage = java.util.concurrent.CompletableFuture.failedFuture(e);
    }
    return stage.<HttpResponse>thenApply(ok).exceptionally(e -> {
      // What the operation answered: bad input, a refusal, or no answer in time (503: try again).
      Throwable c = io.rackshare.access.BlockDeviceException.cause(e);
      boolean late = c instanceof java.util.concurrent.TimeoutException;
      return HttpResponse.create().withStatus(late ? StatusCodes.SERVICE_UNAVAILABLE : StatusCodes.BAD_REQUEST)
          .withEntity(ContentTypes.TEXT_PLAIN_UTF8, io.rackshare.util.LogText.printable(String.valueOf(c.getMessage())) + "\n");
    });
  }

  static HttpResponse json(Object o) {
    try {
      return HttpResponse.create().withStatus(StatusCodes.OK)
          .withEntity(ContentTypes.APPLICATION_JSON, JSON.writeValueAsBytes(o));
    } catch (JsonProcessingException e) {
      return HttpResponse.create().withStatus(StatusCodes.INTERNAL_SERVER_ERROR).withEntity(e.toString());
    }
  }

  /** The address a binding listens on, as a URL. */
  public static String url(ServerBinding b, boolean https) {
    InetSocketAddress a = b.localAddress();
    return (https ? "https://" : "http://") + a.getHostString() + ":" + a.getPort();
  }
}
