package io.rackshare.example.log;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;

/**
 * The log service on one blade: the {@link LogWriter} as a Cluster Singleton (it runs on the
 * oldest blade, and on the next one when that one dies), the HTTP API ({@link LogHttpServer}) on
 * this blade, which forwards to it, and a {@link VolumeHealthWatcher} that follows the volume's
 * health through Rackshare's events. Started by {@link #get} or, on a blade, by naming {@link
 * Id} in {@code pekko.actor.typed.extensions}.
 */
public final class LogService implements Extension {

  private final LogServiceSettings settings;
  private final ActorRef<LogWriter.Command> writer;

  private LogService(ActorSystem<?> system) {
    settings = LogServiceSettings.fromConfig(system.settings().config());
    writer = ClusterSingleton.get(system).init(SingletonActor.of(LogWriter.create(settings), "log-writer"));
    java.util.concurrent.atomic.AtomicReference<io.rackshare.layout.Health> volumeHealth =
        new java.util.concurrent.atomic.AtomicReference<>();
    system.systemActorOf(VolumeHealthWatcher.create(settings.volume(), volumeHealth), "log-volume-health",
        Props.empty());
    system.systemActorOf(LogHttpServer.create(settings, writer, volumeHealth::get), "log-service-http", Props.empty());
  }

  /** The service on {@code system}, started on first use. */
  public static LogService get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** Its settings. */
  public LogServiceSettings settings() {
    return settings;
  }

  /** The writer, wherever it runs (the singleton's proxy). */
  public ActorRef<LogWriter.Command> writer() {
    return writer;
  }

  /** The extension's id: {@code pekko.actor.typed.extensions += "io.rackshare.example.log.LogService$Id"}. */
  public static final class Id extends ExtensionId<LogService> {
    private static final Id INSTANCE = new Id();

    /** Pekko's accessor for extensions named in configuration. */
    public static Id getInstance() {
      return INSTANCE;
    }

    @Override
    public LogService createExtension(ActorSystem<?> system) {
      return new LogService(system);
    }
  }
}
