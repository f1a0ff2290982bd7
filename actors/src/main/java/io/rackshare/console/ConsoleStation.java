package io.rackshare.console;

import io.rackshare.blade.Blade;
import io.rackshare.manager.ManagerProtocol;
import io.rackshare.map.BladeId;
import io.rackshare.map.ConsoleRoute;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.smm.SmmHandler;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.pattern.StatusReply;

/**
 * The console station (0096-0105): one blade's keyboard, display and mouse serve every blade. It
 * shows the screen of the blade the global resource map routes it to in its {@link ConsoleView}
 * (which the RFB server serves) and sends the view's keys there, both over the OOB channel.
 *
 * <p>The route is the map's ({@link ConsoleRoute}): switching asks the manager to change it, and
 * the station follows every map its blade receives, so the choice survives a manager failover and
 * a restart of the station's blade. A station without a route asks for its configured target.
 * When the target blade is gone the view stays, with a banner saying so, and the station attaches
 * again when the blade returns.
 */
public final class ConsoleStation extends AbstractBehavior<ConsoleStation.Command> {

  /**
   * The console station's messages: {@link Select} and {@link GetTarget} from the management API
   * and the CLI, and privately the frames and refusals of the blade it shows, the view's keys, the
   * manager's answer to a route change, the blade's new map copies (its console route), topology
   * changes and the retry timer.
   */
  public sealed interface Command {}

  /**
   * Route the station to {@code target}'s console; answers with the target now routed, or an
   * error saying why not (no console on that blade, no manager).
   */
  public record Select(BladeId target, ActorRef<StatusReply<BladeId>> replyTo) implements Command {}

  /** Which blade the station shows. */
  public record GetTarget(ActorRef<Optional<BladeId>> replyTo) implements Command {}

  private record FromTarget(ConsoleProtocol.Frames frame) implements Command {}

  private record FromOob(SmmHandler.Delivery delivery) implements Command {}

  private record TopologyChanged(SmmHandler.Topology topology) implements Command {}

  private record MapChanged(GlobalResourceMap map) implements Command {}

  private record Routed(SmmHandler.Response response) implements Command {}

  private record Keys(byte[] bytes) implements Command {}

  private enum Retry implements Command { INSTANCE }

  public static Behavior<Command> create(BladeId self, ActorRef<SmmHandler.Command> smm,
      ActorRef<Blade.Command> blade, ConsoleView view, BladeId initial) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new ConsoleStation(ctx, timers, self, smm, blade,
        view, initial)));
  }

  private final BladeId self;
  private final ActorRef<SmmHandler.Command> smm;
  private final ConsoleView view;
  private final BladeId initial;
  private final ActorRef<ConsoleProtocol.Frames> frames;
  /**
   * The target's screen as last received (whole or patched), which its next rows patch; null
   * until a whole frame comes after an attach (the retry timer attaches again meanwhile).
   */
  private ConsoleDriver.ScreenImage shown;
  private final ActorRef<SmmHandler.Response> routed;
  private Optional<BladeId> target = Optional.empty();
  /** The newest map epoch the station knows its route by, and the epoch of the route it follows. */
  private long epoch;
  private long routeEpoch = -1;
  private boolean mapSeen;
  private Set<BladeId> peers = Set.of();
  /** Route requests in flight, by tag: who asked (null: the escape sequence, answered on the screen). */
  private final Map<Long, Optional<ActorRef<StatusReply<BladeId>>>> asking = new HashMap<>();
  private String lastRetryError;
  private long nextTag = 1;

  private ConsoleStation(ActorContext<Command> ctx, TimerScheduler<Command> timers, BladeId self,
      ActorRef<SmmHandler.Command> smm, ActorRef<Blade.Command> blade, ConsoleView view, BladeId initial) {
    super(ctx);
    this.self = self;
    this.smm = smm;
    this.view = view;
    this.initial = initial;
    this.frames = ctx.messageAdapter(ConsoleProtocol.Frames.class, FromTarget::new);
    this.routed = ctx.messageAdapter(SmmHandler.Response.class, Routed::new);
    ActorRef<Command> me = ctx.getSelf();
    view.keysTo(b -> me.tell(new Keys(b)));
    smm.tell(new SmmHandler.RegisterHandler("console-station", m -> m instanceof ConsoleProtocol.Refused,
        ctx.messageAdapter(SmmHandler.Delivery.class, FromOob::new)));
    smm.tell(new SmmHandler.SubscribeTopology(ctx.messageAdapter(SmmHandler.Topology.class, TopologyChanged::new)));
    blade.tell(new Blade.SubscribeMap(ctx.messageAdapter(GlobalResourceMap.class, MapChanged::new)));
    // An Attach (or the first route request) can be lost with a blade that was restarting: ask
    // again until frames come.
    timers.startTimerWithFixedDelay(Retry.INSTANCE, Duration.ofSeconds(2));
    view.banner("connecting to " + initial + " ...");
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Select.class, s -> {
          route(s.target(), false, Optional.of(s.replyTo()));
          return this;
        })
        .onMessage(GetTarget.class, g -> {
          g.replyTo().tell(target);
          return this;
        })
        .onMessage(FromTarget.class, this::onFrame)
        .onMessage(MapChanged.class, this::onMap)
        .onMessage(Routed.class, this::onRouted)
        .onMessage(FromOob.class, this::onOob)
        .onMessage(TopologyChanged.class, this::onTopology)
        .onMessage(Keys.class, this::onKeys)
        .onMessage(Retry.class, r -> {
          if (target.isEmpty() && mapSeen && asking.isEmpty()) route(initial, true, Optional.empty());
          if (shown == null && target.isPresent() && peers.contains(target.get())) attach(target.get());
          return this;
        })
        .build();
  }

  private Behavior<Command> onFrame(FromTarget f) {
    if (!target.equals(Optional.of(f.frame().blade()))) return this;
    if (f.frame() instanceof ConsoleProtocol.Frame whole) {
      shown = whole.image();
    } else if (f.frame() instanceof ConsoleProtocol.FrameRows r) {
      if (shown == null || shown.version() != r.baseVersion()) {
        // A frame was lost (a connection broke): attach again, once, for a whole one.
        if (shown != null) attach(target.get());
        shown = null; // and again every few seconds until it comes
        return this;
      }
      shown = r.rows().applyTo(shown);
    }
    view.show(shown);
    return this;
  }

  /** Asks the manager to route this station to {@code to} (the map changes, every blade hears). */
  private void route(BladeId to, boolean keepExisting, Optional<ActorRef<StatusReply<BladeId>>> replyTo) {
    long tag = nextTag++;
    asking.put(tag, replyTo);
    smm.tell(new SmmHandler.RequestToManager(new ManagerProtocol.RouteConsole(self, to, keepExisting), tag, routed));
  }

  private Behavior<Command> onRouted(Routed r) {
    Optional<ActorRef<StatusReply<BladeId>>> replyTo = asking.remove(r.response().tag());
    if (replyTo == null) return this;
    String error;
    if (r.response() instanceof SmmHandler.Answered a && a.message() instanceof ManagerProtocol.ConsoleRouteAnswer ans) {
      if (ans.route() != null) follow(ans.route());
      error = ans.refused();
      if (error == null) {
        replyTo.ifPresent(t -> t.tell(StatusReply.success(ans.route().target())));
        // The escape chose the blade already shown: nothing switches, the banner goes.
        if (replyTo.isEmpty() && shown != null) view.banner(null);
        return this;
      }
    } else if (r.response() instanceof SmmHandler.Failed f) {
      error = "the global resource manager did not answer (" + f.failure() + ": " + f.detail() + ")";
    } else {
      error = "unexpected answer " + r.response();
    }
    if (replyTo.isPresent()) {
      getContext().getLog().warn("console station on {}: {}", self, error);
      replyTo.get().tell(StatusReply.error(error));
    } else if (target.isEmpty()) {
      // The configured target, asked for again every few seconds: said once per reason.
      if (!error.equals(lastRetryError)) getContext().getLog().warn("console station on {}: {}", self, error);
      lastRetryError = error;
      view.banner("waiting for " + initial + "'s console: " + error);
    } else {
      getContext().getLog().warn("console station on {}: {}", self, error);
      view.banner("console: " + error);
    }
    return this;
  }

  private Behavior<Command> onMap(MapChanged m) {
    boolean first = !mapSeen;
    mapSeen = true;
    epoch = Math.max(epoch, m.map().epoch());
    Optional<ConsoleRoute> route = m.map().console(self);
    if (route.isPresent()) {
      follow(route.get());
    } else if (first && target.isEmpty() && asking.isEmpty()) {
      // No route in the map yet: the configured target, unless someone routes the station first.
      route(initial, true, Optional.empty());
    }
    return this;
  }

  /** Shows {@code route}'s target, switching if it is another blade; an older route than ours is late. */
  private void follow(ConsoleRoute route) {
    if (route.epoch() < routeEpoch) return;
    routeEpoch = route.epoch();
    epoch = Math.max(epoch, route.epoch());
    if (target.equals(Optional.of(route.target()))) return;
    target.ifPresent(old -> smm.tell(new SmmHandler.Send(old, new ConsoleProtocol.Detach(frames))));
    getContext().getLog().info("console station on {} shows {} (map epoch {})", self, route.target(), route.epoch());
    target = Optional.of(route.target());
    shown = null;
    if (peers.contains(route.target())) {
      view.banner("switching to " + route.target() + " ...");
      attach(route.target());
    } else {
      view.banner(route.target() + " is not reachable; waiting for it");
    }
  }

  private Behavior<Command> onOob(FromOob f) {
    if (f.delivery().message() instanceof ConsoleProtocol.Refused r && target.equals(Optional.of(r.blade()))) {
      // Our route is older than the target's map: resynchronise (the new map re-routes us).
      shown = null;
      view.banner(r.blade() + " refuses this station: " + r.reason() + "; resynchronising the map");
      smm.tell(new SmmHandler.SendToManager(new ManagerProtocol.ResyncRequest(self, "console", epoch, r.reason())));
    }
    return this;
  }

  /** Where the conserver-style escape is: Ctrl-E, then {@code c}, then a slot number and Enter. */
  private enum Escape { NONE, CTRL_E, SLOT }

  private Escape escape = Escape.NONE;
  private final StringBuilder slot = new StringBuilder();
  /** The banner shown before the escape began, shown again if it is cancelled. */
  private String bannerBefore;

  /** Keys for the target, except the escape sequence, which switches the target. */
  private Behavior<Command> onKeys(Keys k) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (byte b : k.bytes()) {
      switch (escape) {
        case NONE -> {
          if (b == 0x05) escape = Escape.CTRL_E;
          else out.write(b);
        }
        case CTRL_E -> {
          escape = Escape.NONE;
          if (b == 'c') {
            escape = Escape.SLOT;
            slot.setLength(0);
            bannerBefore = view.currentBanner();
            view.banner("console: switch to blade slot _ (Enter switches, Esc cancels)");
          } else {
            out.write(0x05); // Ctrl-E Ctrl-E (or any other key) goes through
            if (b != 0x05) out.write(b);
          }
        }
        case SLOT -> {
          if (b >= '0' && b <= '9' && slot.length() < 4) {
            slot.append((char) b);
            view.banner("console: switch to blade slot " + slot + "_ (Enter switches, Esc cancels)");
          } else if ((b == '\r' || b == '\n') && slot.length() > 0) {
            escape = Escape.NONE;
            BladeId to = new BladeId(self.rack(), self.chassis(), Integer.parseInt(slot.toString()));
            view.banner("console: switching to " + to + " ...");
            route(to, false, Optional.empty());
          } else if (b == 0x1b || b == '\r' || b == '\n') {
            escape = Escape.NONE;
            view.banner(bannerBefore);
          }
        }
      }
    }
    if (out.size() > 0) {
      target.ifPresent(t -> smm.tell(new SmmHandler.Send(t, new ConsoleProtocol.Keys(out.toByteArray(), epoch))));
    }
    return this;
  }

  private Behavior<Command> onTopology(TopologyChanged t) {
    boolean had = target.isPresent() && peers.contains(target.get());
    peers = t.topology().peers();
    boolean has = target.isPresent() && peers.contains(target.get());
    if (had && !has) {
      shown = null;
      view.banner(target.get() + " is down: its console will be back when it returns");
    } else if (!had && has) {
      attach(target.get());
    }
    return this;
  }

  private void attach(BladeId t) {
    smm.tell(new SmmHandler.Send(t, new ConsoleProtocol.Attach(self, frames, epoch)));
  }
}
