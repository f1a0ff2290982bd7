package io.rackshare.example.log;

import io.rackshare.RackshareSettings;
import java.net.InetSocketAddress;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;

/**
 * Binds the log's HTTP API ({@link LogRoutes}) on this blade and logs where it listens ({@code
 * LOG-SERVICE READY blade=... http=http://host:port}); unbinds when stopped. When it cannot bind,
 * it logs why and stops.
 */
public final class LogHttpServer {

  /** What the server is told. */
  public sealed interface Command permits Bound, BindFailed {}

  private record Bound(ServerBinding binding) implements Command {}

  private record BindFailed(Throwable cause) implements Command {}

  private LogHttpServer() {}

  /**
   * The server's behavior.
   *
   * @param settings where to listen and the token
   * @param writer the writer's proxy
   * @param volumeHealth the volume's latest health as this blade sees it (null until known)
   */
  public static Behavior<Command> create(LogServiceSettings settings, ActorRef<LogWriter.Command> writer,
      java.util.function.Supplier<io.rackshare.layout.Health> volumeHealth) {
    return Behaviors.setup(context -> {
      context.setLoggerName(LogHttpServer.class);
      // From the configuration: the Rackshare runtime may still be starting on this blade.
      String blade = RackshareSettings.fromConfig(context.getSystem().settings().config()).blade().toString();
      LogRoutes routes = new LogRoutes(writer, context.getSystem().scheduler(), settings, blade, volumeHealth);
      context.pipeToSelf(Http.get(context.getSystem()).newServerAt(settings.httpInterface(), settings.httpPort())
          .bind(routes.routes()), (b, e) -> e == null ? new Bound(b) : new BindFailed(e));
      return Behaviors.receive(Command.class)
          .onMessage(Bound.class, bound -> {
            // The blade's coordinated shutdown unbinds it (service-unbind) and lets requests in
            // flight finish for up to 5 s, while the volume still serves.
            bound.binding().addToCoordinatedShutdown(java.time.Duration.ofSeconds(5), context.getSystem());
            InetSocketAddress a = bound.binding().localAddress();
            context.getLog().info("LOG-SERVICE READY blade={} http=http://{}:{} token={}", blade,
                a.getAddress().getHostAddress(), a.getPort(), settings.token().isPresent() ? "required" : "none");
            return Behaviors.receive(Command.class)
                .onSignal(PostStop.class, s -> {
                  bound.binding().unbind();
                  return Behaviors.same();
                })
                .build();
          })
          .onMessage(BindFailed.class, failed -> {
            context.getLog().error("LOG-SERVICE cannot listen on {}:{}: {}", settings.httpInterface(),
                settings.httpPort(), failed.cause().getMessage());
            return Behaviors.stopped();
          })
          .build();
    });
  }
}
