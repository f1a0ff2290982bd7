package io.rackshare.example.log;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.WWWAuthenticate;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.util.Try;

/**
 * The log's HTTP API, served on every blade; appends and reads are forwarded to the {@link
 * LogWriter} wherever it runs.
 *
 * <ul>
 *   <li>{@code POST /records}, the record's bytes as the body: 200 {@code {"seq":N}} once the
 *       record is on the volume; 400 for an empty body, 413 beyond {@code max-record-size}, 503
 *       (retry, here or on another blade) when the writer refuses or does not answer in time.
 *   <li>{@code GET /records?from=N&limit=M}: 200 {@code {"records":[{"seq":N,"payload":BASE64}],
 *       "next":N,"count":N}}; 400 for a bad number.
 *   <li>{@code GET /health}: 200 {@code {"status":"ok","blade":...,"volume":"OPTIMAL","writer":...,"records":N}}
 *       when the writer answers and is recovered, else 503; {@code volume} is the volume's health
 *       as this blade sees it (OPTIMAL, DEGRADED, FAILED; UNKNOWN before the first event).
 * </ul>
 *
 * With a token configured every request needs {@code Authorization: Bearer <token>} (else 401).
 * Errors are one line of text, never a stack trace.
 */
public final class LogRoutes extends AllDirectives {

  private static final Logger log = LoggerFactory.getLogger(LogRoutes.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(2);

  private final ActorRef<LogWriter.Command> writer;
  private final Scheduler scheduler;
  private final LogServiceSettings settings;
  private final String blade;
  private final java.util.function.Supplier<io.rackshare.layout.Health> volumeHealth;

  /**
   * The routes of one blade.
   *
   * @param writer the writer (the singleton's proxy)
   * @param scheduler for the asks' timeouts
   * @param settings the service's settings
   * @param blade this blade, as health names it
   * @param volumeHealth the volume's latest health as this blade sees it (null until known)
   */
  public LogRoutes(ActorRef<LogWriter.Command> writer, Scheduler scheduler, LogServiceSettings settings, String blade,
      java.util.function.Supplier<io.rackshare.layout.Health> volumeHealth) {
    this.volumeHealth = volumeHealth;
    this.writer = writer;
    this.scheduler = scheduler;
    this.settings = settings;
    this.blade = blade;
  }

  /** Every route, with the token check, the error handlers and the body size limit. */
  public Route routes() {
    return handleExceptions(exceptions(), () -> handleRejections(rejections(), () -> authorized(() -> concat(
        path("records", () -> concat(
            post(() -> withSizeLimit(settings.maxRecordSize(), () -> entity(Unmarshaller.entityToByteArray(), this::append))),
            get(() -> parameterOptional("from", from -> parameterOptional("limit", limit -> read(from, limit)))))),
        path("health", () -> get(this::health))))));
  }

  private Route authorized(java.util.function.Supplier<Route> inner) {
    if (settings.token().isEmpty()) return inner.get();
    byte[] expected = ("Bearer " + settings.token().get()).getBytes(StandardCharsets.UTF_8);
    return optionalHeaderValueByName("Authorization", given -> {
      if (given.isPresent() && MessageDigest.isEqual(expected, given.get().getBytes(StandardCharsets.UTF_8))) {
        return inner.get();
      }
      return respondWithHeader(WWWAuthenticate.create(HttpChallenge.create("Bearer", "rackshare-log")),
          () -> complete(StatusCodes.UNAUTHORIZED, "a bearer token is required (Authorization: Bearer <token>)\n"));
    });
  }

  private Route append(byte[] payload) {
    if (payload.length == 0) return complete(StatusCodes.BAD_REQUEST, "empty record: POST the record's bytes as the body\n");
    CompletionStage<LogWriter.AppendResult> result =
        AskPattern.ask(writer, replyTo -> new LogWriter.Append(payload, replyTo), settings.askTimeout(), scheduler);
    return onComplete(result, t -> {
      if (t.isFailure()) return unavailable();
      if (t.get() instanceof LogWriter.Appended a) return json(StatusCodes.OK, JSON.createObjectNode().put("seq", a.seq()));
      return complete(StatusCodes.SERVICE_UNAVAILABLE, ((LogWriter.Refused) t.get()).reason() + "\n");
    });
  }

  private Route read(Optional<String> fromParam, Optional<String> limitParam) {
    long from;
    int limit;
    try {
      from = Long.parseLong(fromParam.orElse("0"));
      limit = Integer.parseInt(limitParam.orElse(String.valueOf(settings.maxReadRecords())));
    } catch (NumberFormatException e) {
      return complete(StatusCodes.BAD_REQUEST, "from and limit must be whole numbers\n");
    }
    if (from < 0 || limit < 1) return complete(StatusCodes.BAD_REQUEST, "from must be 0 or more, limit 1 or more\n");
    CompletionStage<LogWriter.ReadResult> result =
        AskPattern.ask(writer, replyTo -> new LogWriter.Read(from, limit, replyTo), settings.askTimeout(), scheduler);
    return onComplete(result, t -> {
      if (t.isFailure()) return unavailable();
      if (t.get() instanceof LogWriter.ReadFailed f) return complete(StatusCodes.SERVICE_UNAVAILABLE, f.reason() + "\n");
      LogWriter.Records r = (LogWriter.Records) t.get();
      ObjectNode body = JSON.createObjectNode();
      ArrayNode records = body.putArray("records");
      for (LogRecord record : r.records()) {
        records.addObject().put("seq", record.seq()).put("payload", Base64.getEncoder().encodeToString(record.payload()));
      }
      return json(StatusCodes.OK, body.put("next", r.next()).put("count", r.count()));
    });
  }

  private Route health() {
    CompletionStage<LogWriter.Status> result =
        AskPattern.ask(writer, LogWriter.GetStatus::new, HEALTH_TIMEOUT, scheduler);
    return onComplete(result, (Try<LogWriter.Status> t) -> {
      io.rackshare.layout.Health h = volumeHealth.get();
      ObjectNode body = JSON.createObjectNode().put("blade", blade)
          .put("volume", h == null ? "UNKNOWN" : h.status().name());
      if (t.isFailure()) {
        return json(StatusCodes.SERVICE_UNAVAILABLE, body.put("status", "unavailable")
            .put("reason", "the log writer did not answer within " + HEALTH_TIMEOUT.toSeconds() + " s"));
      }
      LogWriter.Status s = t.get();
      body.put("status", s.ready() ? "ok" : "recovering").put("writer", s.blade()).put("records", s.count());
      return json(s.ready() ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE, body);
    });
  }

  private Route unavailable() {
    return complete(StatusCodes.SERVICE_UNAVAILABLE, "the log writer did not answer within "
        + settings.askTimeout().toMillis() + " ms: retry, here or on another blade\n");
  }

  private Route json(StatusCode status, ObjectNode body) {
    return complete(HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, body.toString()));
  }

  private RejectionHandler rejections() {
    return RejectionHandler.newBuilder()
        .handle(MalformedRequestContentRejection.class, r -> r.getCause() instanceof EntityStreamSizeException
            ? complete(StatusCodes.PAYLOAD_TOO_LARGE, "a record has at most " + settings.maxRecordSize() + " bytes\n")
            : complete(StatusCodes.BAD_REQUEST, "the request's body could not be read\n"))
        .build()
        .withFallback(RejectionHandler.defaultHandler());
  }

  private ExceptionHandler exceptions() {
    return ExceptionHandler.newBuilder()
        .match(EntityStreamSizeException.class, e ->
            complete(StatusCodes.PAYLOAD_TOO_LARGE, "a record has at most " + settings.maxRecordSize() + " bytes\n"))
        .match(Exception.class, e -> {
          log.warn("LOG-SERVICE request failed: {}", e.toString());
          return complete(StatusCodes.INTERNAL_SERVER_ERROR, "internal error (see the blade's log)\n");
        })
        .build();
  }
}
