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

/**
 * A blade's management endpoint (Pekko HTTP, on the management address): {@code GET /status}
 * answers this blade's {@link BladeStatus} as JSON.
 */
public final class ManagementEndpoint extends AllDirectives {

  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Supplier<CompletionStage<BladeStatus>> status;

  private ManagementEndpoint(Supplier<CompletionStage<BladeStatus>> status) {
    this.status = status;
  }

  /** Binds the endpoint; the stage completes with the bound address. */
  public static CompletionStage<ServerBinding> start(ActorSystem<?> system, String hostname, int port,
      Supplier<CompletionStage<BladeStatus>> status) {
    return Http.get(system).newServerAt(hostname, port).bind(new ManagementEndpoint(status).routes());
  }

  Route routes() {
    return concat(
        path("status", () -> get(() -> completeWithFuture(status.get().thenApply(ManagementEndpoint::json)))),
        pathSingleSlash(() -> get(() -> complete("Rackshare blade management: GET /status\n"))));
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
