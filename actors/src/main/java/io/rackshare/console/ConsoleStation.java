package io.rackshare.console;

import io.rackshare.map.BladeId;
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
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The console station (0096-0105): one blade's keyboard, display and mouse serve every blade. It
 * shows the selected blade's screen in its {@link ConsoleView} (which the RFB server serves) and
 * sends the view's keys to that blade, both over the OOB channel. Switching the target detaches
 * from the old blade and attaches to the new one. When the target blade is gone the view stays,
 * with a banner saying so, and the station attaches again when the blade returns.
 */
public final class ConsoleStation extends AbstractBehavior<ConsoleStation.Command> {

  public sealed interface Command {}

  /** Route the station to {@code target}'s console; answers with the target now selected. */
  public record Select(BladeId target, ActorRef<BladeId> replyTo) implements Command {}

  /** Which blade the station shows. */
  public record GetTarget(ActorRef<Optional<BladeId>> replyTo) implements Command {}

  private record FromTarget(ConsoleProtocol.Frame frame) implements Command {}

  private record TopologyChanged(SmmHandler.Topology topology) implements Command {}

  private record Keys(byte[] bytes) implements Command {}

  private enum Retry implements Command { INSTANCE }

  public static Behavior<Command> create(BladeId self, ActorRef<SmmHandler.Command> smm, ConsoleView view,
      Optional<BladeId> initial) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new ConsoleStation(ctx, timers, self, smm, view,
        initial)));
  }

  private final BladeId self;
  private final ActorRef<SmmHandler.Command> smm;
  private final ConsoleView view;
  private final ActorRef<ConsoleProtocol.Frame> frames;
  private Optional<BladeId> target;
  private Set<BladeId> peers = Set.of();
  private boolean seen;

  private ConsoleStation(ActorContext<Command> ctx, TimerScheduler<Command> timers, BladeId self,
      ActorRef<SmmHandler.Command> smm, ConsoleView view, Optional<BladeId> initial) {
    super(ctx);
    this.self = self;
    this.smm = smm;
    this.view = view;
    this.target = initial;
    this.frames = ctx.messageAdapter(ConsoleProtocol.Frame.class, FromTarget::new);
    ActorRef<Command> me = ctx.getSelf();
    view.keysTo(b -> me.tell(new Keys(b)));
    smm.tell(new SmmHandler.SubscribeTopology(ctx.messageAdapter(SmmHandler.Topology.class, TopologyChanged::new)));
    // An Attach can be lost with a blade that was restarting: ask again until frames come.
    timers.startTimerWithFixedDelay(Retry.INSTANCE, Duration.ofSeconds(2));
    view.banner(initial.map(t -> "connecting to " + t + " ...").orElse("no blade selected"));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Select.class, this::onSelect)
        .onMessage(GetTarget.class, g -> {
          g.replyTo().tell(target);
          return this;
        })
        .onMessage(FromTarget.class, f -> {
          if (target.equals(Optional.of(f.frame().blade()))) {
            seen = true;
            view.show(f.frame().image());
          }
          return this;
        })
        .onMessage(TopologyChanged.class, this::onTopology)
        .onMessage(Keys.class, this::onKeys)
        .onMessage(Retry.class, r -> {
          if (!seen && target.isPresent() && peers.contains(target.get())) attach(target.get());
          return this;
        })
        .build();
  }

  /** Where the conserver-style escape is: Ctrl-E, then {@code c}, then a slot number and Enter. */
  private enum Escape { NONE, CTRL_E, SLOT }

  private Escape escape = Escape.NONE;
  private final StringBuilder slot = new StringBuilder();

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
            onSelect(new Select(to, getContext().getSystem().ignoreRef()));
          } else if (b == 0x1b || b == '\r' || b == '\n') {
            escape = Escape.NONE;
            view.banner(null);
          }
        }
      }
    }
    if (out.size() > 0) {
      target.ifPresent(t -> smm.tell(new SmmHandler.Send(t, new ConsoleProtocol.Keys(out.toByteArray()))));
    }
    return this;
  }

  private Behavior<Command> onSelect(Select s) {
    target.ifPresent(old -> smm.tell(new SmmHandler.Send(old, new ConsoleProtocol.Detach(frames))));
    getContext().getLog().info("console station on {} switches to {}", self, s.target());
    target = Optional.of(s.target());
    seen = false;
    view.banner("switching to " + s.target() + " ...");
    if (peers.contains(s.target())) attach(s.target());
    else view.banner(s.target() + " is not reachable; waiting for it");
    s.replyTo().tell(s.target());
    return this;
  }

  private Behavior<Command> onTopology(TopologyChanged t) {
    boolean had = target.isPresent() && peers.contains(target.get());
    peers = t.topology().peers();
    boolean has = target.isPresent() && peers.contains(target.get());
    if (had && !has) {
      seen = false;
      view.banner(target.get() + " is down: its console will be back when it returns");
    } else if (!had && has) {
      attach(target.get());
    }
    return this;
  }

  private void attach(BladeId t) {
    smm.tell(new SmmHandler.Send(t, new ConsoleProtocol.Attach(self, frames)));
  }
}
