package io.rackshare.management;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

/**
 * A blade's management endpoint (Pekko HTTP, on the management address): {@code GET /status}
 * answers this blade's {@link BladeStatus} as JSON.
 */
public final class ManagementEndpoint extends AllDirectives {

  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** What the endpoint asks of its blade. */
  public interface Operations {
    CompletionStage<BladeStatus> status();

    /**
     * Fails a member as if its device had failed (md's {@code --fail}): a hot spare takes its
     * place, or it is resynchronised when its blade next registers. Completes with the map epoch
     * that no longer reads it.
     */
    CompletionStage<Long> failMember(String volume, String device);

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

  private ManagementEndpoint(Operations ops) {
    this.ops = ops;
  }

  /** Binds the endpoint; the stage completes with the bound address. */
  public static CompletionStage<ServerBinding> start(ActorSystem<?> system, String hostname, int port, Operations ops) {
    return Http.get(system).newServerAt(hostname, port).bind(new ManagementEndpoint(ops).routes());
  }

  Route routes() {
    return concat(
        path("status", () -> get(() -> completeWithFuture(ops.status().thenApply(ManagementEndpoint::json)))),
        path(segment("volumes").slash(segment()).slash("fail"), volume -> post(() -> parameter("device", device ->
            completeWithFuture(ops.failMember(volume, device)
                .thenApply(epoch -> json(java.util.Map.of("volume", volume, "device", device, "epoch", epoch)))
                .exceptionally(e -> HttpResponse.create().withStatus(StatusCodes.BAD_REQUEST)
                    .withEntity(String.valueOf(io.rackshare.access.BlockDeviceException.cause(e).getMessage()))))))),
        path("console", () -> get(() -> completeWithFuture(answer(ops.console())))),
        path(segment("console").slash("log"), () -> get(() -> parameterOptional("lines", lines ->
            completeWithFuture(answer(ops.consoleLog(lines.map(Integer::parseInt).orElse(25))))))),
        path(segment("console").slash("select"), () -> post(() -> parameter("blade", blade ->
            completeWithFuture(answer(ops.consoleSelect(blade)))))),
        pathSingleSlash(() -> get(() -> complete(
            "Rackshare blade management: GET /status, POST /volumes/{name}/fail?device=Rack(r)/Chassis(c)/Blade(s)/Disk(n),"
                + " GET /console, GET /console/log?lines=N, POST /console/select?blade=Rack(r)/Chassis(c)/Blade(s)\n"))));
  }

  /** JSON of what the stage gives, or 400 with the reason. */
  static CompletionStage<HttpResponse> answer(CompletionStage<?> stage) {
    return stage.thenApply(ManagementEndpoint::json).exceptionally(e -> HttpResponse.create()
        .withStatus(StatusCodes.BAD_REQUEST)
        .withEntity(String.valueOf(io.rackshare.access.BlockDeviceException.cause(e).getMessage())));
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
  public static String url(ServerBinding b) {
    InetSocketAddress a = b.localAddress();
    return "http://" + a.getHostString() + ":" + a.getPort();
  }
}
