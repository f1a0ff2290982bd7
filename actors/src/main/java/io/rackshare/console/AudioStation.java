package io.rackshare.console;

import io.rackshare.blade.Blade;
import io.rackshare.map.BladeId;
import io.rackshare.map.ConsoleRoute;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.smm.SmmHandler;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The console station's audio router: it follows the console route of its blade's map (the blade
 * whose console the station shows, {@link ConsoleStation} asks for it) and listens to that blade's
 * first audio source, {@code .../Audio(0)}, over the OOB channel; the chunks go to the station's
 * {@link AudioView}, which its web viewers play. When the route moves, it stops listening to the
 * old blade and listens to the new; a blade without an audio source (no handler claims the
 * request), or one that is down, is shown as such. It listens again every {@link #RETRY} until a
 * source answers, and when chunks stop coming for {@link #QUIET} (a source that restarted forgot
 * its listeners); a blade without a source is asked again only after it left and came back.
 */
public final class AudioStation extends AbstractBehavior<AudioStation.Command> {

  static final Duration RETRY = Duration.ofSeconds(2);
  /** A source sends a chunk every {@link AudioCapture#CHUNK_MILLIS} ms, or says it is silent. */
  static final Duration QUIET = Duration.ofSeconds(3);

  /**
   * The station's audio router's messages, all private: what the source sends the listener, the
   * answer to a listen request, the blade's new map copies (the console route), topology changes (a
   * source's blade leaving or coming back) and the retry timer.
   */
  public sealed interface Command {}

  private record FromSource(AudioProtocol.ToListener message) implements Command {}

  private record Answer(SmmHandler.Response response) implements Command {}

  private record MapChanged(GlobalResourceMap map) implements Command {}

  private record TopologyChanged(SmmHandler.Topology topology) implements Command {}

  private enum Tick implements Command { INSTANCE }

  public static Behavior<Command> create(BladeId self, ActorRef<SmmHandler.Command> smm, ActorRef<Blade.Command> blade,
      AudioView view) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Tick.INSTANCE, RETRY);
      return new AudioStation(ctx, self, smm, blade, view);
    }));
  }

  private final BladeId self;
  private final ActorRef<SmmHandler.Command> smm;
  private final AudioView view;
  private final ActorRef<AudioProtocol.ToListener> listener;
  private final ActorRef<SmmHandler.Response> answers;
  private Optional<BladeId> target = Optional.empty();
  private long epoch;
  private long routeEpoch = -1;
  private Set<BladeId> peers = Set.of();
  /** The tag of the listen request in flight (0: none); answers to older ones are late. */
  private long asking;
  private long nextTag = 1;
  private boolean listening;
  /**
   * Blades that answered that they have no audio source: not asked again (each ask is a warning in
   * their log) until they leave the cluster and come back, perhaps with one.
   */
  private final Set<BladeId> withoutAudio = new java.util.HashSet<>();
  private long lastHeard;

  private AudioStation(ActorContext<Command> ctx, BladeId self, ActorRef<SmmHandler.Command> smm,
      ActorRef<Blade.Command> blade, AudioView view) {
    super(ctx);
    this.self = self;
    this.smm = smm;
    this.view = view;
    this.listener = ctx.messageAdapter(AudioProtocol.ToListener.class, FromSource::new);
    this.answers = ctx.messageAdapter(SmmHandler.Response.class, Answer::new);
    smm.tell(new SmmHandler.SubscribeTopology(ctx.messageAdapter(SmmHandler.Topology.class, TopologyChanged::new)));
    blade.tell(new Blade.SubscribeMap(ctx.messageAdapter(GlobalResourceMap.class, MapChanged::new)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(FromSource.class, this::onSource)
        .onMessage(Answer.class, this::onAnswer)
        .onMessage(MapChanged.class, this::onMap)
        .onMessage(TopologyChanged.class, this::onTopology)
        .onMessage(Tick.class, t -> {
          if (listening && System.nanoTime() - lastHeard > QUIET.toNanos()) listening = false;
          if (!listening && !targetWithoutAudio()) listen();
          return this;
        })
        .build();
  }

  private Behavior<Command> onMap(MapChanged m) {
    epoch = Math.max(epoch, m.map().epoch());
    Optional<ConsoleRoute> route = m.map().console(self);
    if (route.isEmpty() || route.get().epoch() < routeEpoch) return this;
    routeEpoch = route.get().epoch();
    BladeId to = route.get().target();
    if (target.equals(Optional.of(to))) return this;
    if (!targetWithoutAudio()) {
      target.ifPresent(old -> smm.tell(new SmmHandler.Send(old, new AudioProtocol.Unlisten(0, listener))));
    }
    getContext().getLog().info("console station on {} relays the audio of {} (map epoch {})", self, to, routeEpoch);
    target = Optional.of(to);
    listening = false;
    asking = 0;
    if (targetWithoutAudio()) {
      view.show(to, null, to + " has no audio source");
    } else {
      view.show(to, null, "connecting to " + to + "'s audio ...");
      listen();
    }
    return this;
  }

  private boolean targetWithoutAudio() {
    return target.isPresent() && withoutAudio.contains(target.get());
  }

  private void listen() {
    if (target.isEmpty() || asking != 0) return;
    if (!peers.contains(target.get())) {
      view.show(target.get(), null, target.get() + " is not reachable: its audio comes back when it does");
      return;
    }
    asking = nextTag++;
    smm.tell(new SmmHandler.Request(target.get(), new AudioProtocol.Listen(0, listener, epoch), asking, answers));
  }

  private Behavior<Command> onAnswer(Answer a) {
    if (a.response().tag() != asking) return this;
    asking = 0;
    BladeId t = target.orElseThrow();
    if (a.response() instanceof SmmHandler.Answered ans && ans.message() instanceof AudioProtocol.Listening l) {
      listening = true;
      lastHeard = System.nanoTime();
      view.show(t, l.format(), l.silent());
    } else if (a.response() instanceof SmmHandler.Answered ans && ans.message() instanceof AudioProtocol.Refused r) {
      view.show(t, null, t + " refuses this station's audio: " + r.reason());
    } else if (a.response() instanceof SmmHandler.Failed f && f.failure() == SmmHandler.Failure.NO_HANDLER) {
      withoutAudio.add(t);
      view.show(t, null, t + " has no audio source");
    } else if (a.response() instanceof SmmHandler.Failed f) {
      view.show(t, null, t + "'s audio did not answer (" + f.failure() + ": " + f.detail() + ")");
    } else {
      view.show(t, null, t + "'s audio: unexpected answer " + a.response());
    }
    return this;
  }

  private Behavior<Command> onSource(FromSource f) {
    AudioProtocol.ToListener m = f.message();
    if (!target.equals(Optional.of(m.blade()))) return this;
    lastHeard = System.nanoTime();
    if (m instanceof AudioProtocol.Pcm p) {
      view.pcm(p.blade(), p.data());
    } else if (m instanceof AudioProtocol.Silent s) {
      view.show(s.blade(), view.state().format(), s.reason());
    }
    return this;
  }

  private Behavior<Command> onTopology(TopologyChanged t) {
    Set<BladeId> before = peers;
    peers = t.topology().peers();
    withoutAudio.retainAll(peers);
    if (target.isEmpty() || before.contains(target.get()) == peers.contains(target.get())) return this;
    if (peers.contains(target.get())) {
      listen();
    } else {
      listening = false;
      asking = 0;
      view.show(target.get(), null, target.get() + " is down: its audio comes back when it does");
    }
    return this;
  }
}
