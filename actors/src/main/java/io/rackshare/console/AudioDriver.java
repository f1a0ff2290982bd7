package io.rackshare.console;

import io.rackshare.blade.Blade;
import io.rackshare.blade.DiscoveredResource;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.map.ResourceConfig;
import io.rackshare.smm.SmmHandler;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The driver of one audio source, {@code .../Audio(n)}: runs its command ({@link AudioCapture}),
 * starting it again {@code restartDelay} after it ends, like the console's command, and sends each
 * chunk to the stations listening ({@link AudioProtocol}). Only a station that the blade's copy of
 * the global resource map routes to this blade's console may listen (or one that claims a newer
 * map: this blade's is behind), so the audio follows the console route; a station routed
 * elsewhere by a newer map is dropped.
 *
 * <p>A command that fails is said once per reason in the log (one line, the exit code and its last
 * line on standard error), not at every restart; listeners hear {@link AudioProtocol.Silent}.
 */
public final class AudioDriver extends AbstractBehavior<AudioDriver.Command> {

  /**
   * Source {@code device} of the blade: {@code command} (a shell command line) writes {@code
   * format} on its standard output, after a WAV header if {@code wav}.
   */
  public record Settings(int device, String command, ResourceConfig.Audio format, boolean wav, Duration restartDelay) {}

  /** Stations listening at once (there is usually one). */
  static final int MAX_LISTENERS = 16;

  /**
   * The audio driver's messages, all private to it: PCM captured by the current run of the command
   * and its end (each tagged with the run's generation, so a late message of an old run is
   * ignored), the restart timer, listen requests from stations over the OOB channel, the blade's
   * new map copies, and listeners that went away.
   */
  public sealed interface Command {}

  private record Captured(long generation, byte[] pcm) implements Command {}

  private record Ended(long generation, String why) implements Command {}

  private enum Restart implements Command { INSTANCE }

  private record FromOob(SmmHandler.Delivery delivery) implements Command {}

  private record MapChanged(GlobalResourceMap map) implements Command {}

  private record Gone(ActorRef<AudioProtocol.ToListener> listener) implements Command {}

  /** A listening station and the map epoch it listened under. */
  private record Listener(BladeId station, long epoch) {}

  /** The driver of source {@code settings.device()} of the blade in {@code c}. */
  public static Behavior<Void> create(DiscoveredResource.DriverContext c, Settings settings) {
    return Behaviors.<Command>setup(ctx -> Behaviors.withTimers(timers -> new AudioDriver(ctx, timers, c, settings)))
        .unsafeCast();
  }

  private final TimerScheduler<Command> timers;
  private final Settings settings;
  private final BladeId self;
  private final DevicePath path;
  private final Map<ActorRef<AudioProtocol.ToListener>, Listener> listeners = new HashMap<>();
  private GlobalResourceMap map = GlobalResourceMap.EMPTY;
  private AudioCapture capture;
  private long generation;
  private long seq;
  /** Why the command last ended, until it delivers audio again (said once). */
  private String problem;

  private AudioDriver(ActorContext<Command> ctx, TimerScheduler<Command> timers, DiscoveredResource.DriverContext c,
      Settings settings) {
    super(ctx);
    this.timers = timers;
    this.settings = settings;
    this.self = c.blade();
    this.path = DevicePath.audio(c.blade(), settings.device());
    int device = settings.device();
    c.smm().tell(new SmmHandler.RegisterHandler("audio-" + device,
        m -> m instanceof AudioProtocol.ForAudio a && a.device() == device,
        ctx.messageAdapter(SmmHandler.Delivery.class, FromOob::new)));
    c.bladeActor().tell(new Blade.SubscribeMap(ctx.messageAdapter(GlobalResourceMap.class, MapChanged::new)));
    start();
  }

  private void start() {
    long gen = ++generation;
    ActorRef<Command> me = getContext().getSelf();
    try {
      capture = AudioCapture.start(settings.command(), settings.format(), settings.wav(),
          "rackshare-audio-" + settings.device(), new AudioCapture.Sink() {
            @Override
            public void chunk(byte[] pcm) {
              me.tell(new Captured(gen, pcm));
            }

            @Override
            public void ended(String why) {
              me.tell(new Ended(gen, why));
            }
          });
      getContext().getLog().debug("audio source {}: started {}", path, settings.command());
    } catch (IOException e) {
      me.tell(new Ended(gen, "cannot start: " + e.getMessage()));
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Captured.class, this::onCaptured)
        .onMessage(Ended.class, this::onEnded)
        .onMessage(Restart.class, r -> {
          start();
          return this;
        })
        .onMessage(FromOob.class, this::onOob)
        .onMessage(MapChanged.class, this::onMap)
        .onMessage(Gone.class, g -> {
          listeners.remove(g.listener());
          return this;
        })
        .onSignal(PostStop.class, s -> {
          if (capture != null) capture.close();
          return this;
        })
        .build();
  }

  private Behavior<Command> onCaptured(Captured c) {
    if (c.generation() != generation) return this;
    if (problem != null) {
      getContext().getLog().info("audio source {}: {} delivers audio again", path, settings.command());
      problem = null;
    }
    AudioProtocol.Pcm pcm = new AudioProtocol.Pcm(self, settings.device(), seq++, c.pcm());
    listeners.keySet().forEach(l -> l.tell(pcm));
    return this;
  }

  private Behavior<Command> onEnded(Ended e) {
    if (e.generation() != generation) return this;
    capture = null;
    if (!e.why().equals(problem)) {
      getContext().getLog().warn("audio source {}: the command {} {}; starting it again every {}", path,
          io.rackshare.util.LogText.quote(settings.command()), e.why(), settings.restartDelay());
    }
    problem = e.why();
    AudioProtocol.Silent silent = new AudioProtocol.Silent(self, settings.device(), silence(e.why()));
    listeners.keySet().forEach(l -> l.tell(silent));
    timers.startSingleTimer(Restart.INSTANCE, settings.restartDelay());
    return this;
  }

  private Behavior<Command> onOob(FromOob f) {
    Object m = f.delivery().message();
    BladeId from = f.delivery().from();
    if (m instanceof AudioProtocol.Listen l) {
      String refused = refusal(from, l.epoch());
      if (refused == null && !listeners.containsKey(l.listener()) && listeners.size() >= MAX_LISTENERS) {
        refused = MAX_LISTENERS + " stations listen already";
      }
      if (refused != null) {
        getContext().getLog().warn("audio source {}: refusing station {}: {}", path, from, refused);
        f.delivery().responder().reply(new AudioProtocol.Refused(self, refused, map.epoch()));
        return this;
      }
      if (listeners.put(l.listener(), new Listener(from, l.epoch())) == null) {
        getContext().watchWith(l.listener(), new Gone(l.listener()));
        getContext().getLog().info("audio source {}: station {} listens", path, from);
      }
      f.delivery().responder().reply(new AudioProtocol.Listening(self, settings.device(), settings.format(),
          problem == null ? null : silence(problem)));
    } else if (m instanceof AudioProtocol.Unlisten u) {
      if (listeners.remove(u.listener()) != null) getContext().unwatch(u.listener());
    }
    return this;
  }

  /** What listeners are told while the command is not running. */
  private String silence(String why) {
    return "the source's command " + why + "; it is started again every " + settings.restartDelay().toMillis()
        + " ms";
  }

  /** Null if the map routes {@code station}'s console here (or the station's map is newer); else why not. */
  private String refusal(BladeId station, long epoch) {
    if (map.routesConsole(station, self) || epoch > map.epoch()) return null;
    return "the map (epoch " + map.epoch() + ") routes the station on " + station + " to "
        + map.console(station).map(r -> r.target().toString()).orElse("no console");
  }

  private Behavior<Command> onMap(MapChanged c) {
    map = c.map();
    listeners.entrySet().removeIf(e -> {
      boolean still = map.epoch() < e.getValue().epoch() || map.routesConsole(e.getValue().station(), self);
      if (!still) {
        getContext().unwatch(e.getKey());
        getContext().getLog().info("audio source {}: station {} is routed elsewhere (map epoch {})", path,
            e.getValue().station(), map.epoch());
      }
      return !still;
    });
    return this;
  }
}
