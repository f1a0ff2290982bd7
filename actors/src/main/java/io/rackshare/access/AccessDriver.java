package io.rackshare.access;

import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.map.Member;
import io.rackshare.manager.ManagerProtocol;
import io.rackshare.smm.SmmHandler;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The management/access driver (802) of a blade. It installs each local copy of the global
 * resource map the blade stores into the data path ({@link AccessPath} on the requester side,
 * {@link BlockTarget} on the target side, both reading the same immutable snapshot), answers
 * those waiting for a volume to appear, and runs the rebuilds of this blade's members. Volume
 * I/O does not pass through it: {@link BlockDevice} is the one I/O API, and it costs no actor hop.
 */
public final class AccessDriver extends AbstractBehavior<AccessDriver.Command> {

  /**
   * The access driver's messages: map copies from the blade to install into the data path, and
   * waits for a volume to appear in them. All are handled on the driver's actor; none carries
   * volume I/O.
   */
  public sealed interface Command {}

  /**
   * The blade stored a new local copy of the global resource map; {@code responder} (if the
   * manager asked) hears once the access path routes with it.
   */
  public record MapInstalled(GlobalResourceMap map, SmmHandler.Responder responder) implements Command {
    public MapInstalled(GlobalResourceMap map) {
      this(map, null);
    }
  }

  /**
   * Answers with the volume's descriptor as soon as the local map has it, its parts ready, of at
   * least {@code minBytes}.
   */
  public record AwaitVolume(String volume, long minBytes, ActorRef<GlobalResourceDescriptor> replyTo)
      implements Command {
    public AwaitVolume(String volume, ActorRef<GlobalResourceDescriptor> replyTo) {
      this(volume, 0, replyTo);
    }

    boolean satisfiedBy(GlobalResourceDescriptor v) {
      return v != null && v.partsReady() && v.sizeBytes() >= minBytes;
    }
  }

  static Behavior<Command> create(AccessPath path, Consumer<GlobalResourceMap> mapListener,
      Rebuilder.Context rebuilds, StripeCoordinator coordinator) {
    return Behaviors.setup(ctx -> new AccessDriver(ctx, path, mapListener, rebuilds, coordinator));
  }

  private final AccessPath path;
  private final Consumer<GlobalResourceMap> mapListener;
  private final Rebuilder.Context rebuildContext;
  private final StripeCoordinator coordinator;
  private final List<AwaitVolume> waiters = new ArrayList<>();
  /** Rebuilds running on this blade, by volume, position, device and epoch. */
  private final Map<String, ActorRef<Rebuilder.Command>> rebuilders = new HashMap<>();
  private GlobalResourceMap map = GlobalResourceMap.EMPTY;

  private AccessDriver(ActorContext<Command> ctx, AccessPath path,
      Consumer<GlobalResourceMap> mapListener, Rebuilder.Context rebuildContext, StripeCoordinator coordinator) {
    super(ctx);
    this.path = path;
    this.mapListener = mapListener;
    this.rebuildContext = rebuildContext;
    this.coordinator = coordinator;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(MapInstalled.class, this::onMap)
        .onMessage(AwaitVolume.class, this::onAwait)
        .onSignal(org.apache.pekko.actor.typed.Terminated.class, t -> {
          rebuilders.values().remove(t.getRef());
          return this;
        })
        .build();
  }

  private Behavior<Command> onMap(MapInstalled m) {
    map = m.map();
    mapListener.accept(map);
    path.mapInstalled(map);
    if (m.responder() != null) m.responder().reply(new ManagerProtocol.MapInstalled(map.epoch()));
    startRebuilds();
    coordinator.resyncDirty(map);
    for (Iterator<AwaitVolume> it = waiters.iterator(); it.hasNext(); ) {
      AwaitVolume a = it.next();
      GlobalResourceDescriptor v = map.volumes().get(a.volume());
      if (a.satisfiedBy(v)) {
        a.replyTo().tell(v);
        it.remove();
      }
    }
    return this;
  }

  /** Starts a rebuilder for each member of this blade being rebuilt or moved into; the others stop themselves. */
  private void startRebuilds() {
    java.util.Set<String> wanted = new java.util.HashSet<>();
    for (GlobalResourceDescriptor v : map.volumes().values()) {
      for (int i = 0; i < v.members().size(); i++) {
        Member m = v.member(i);
        if (m.state() != Member.State.REBUILDING || !m.blade().equals(rebuildContext.self())) continue;
        String key = v.name() + "#" + i + "#" + m.device() + "#" + m.since();
        wanted.add(key);
        if (!rebuilders.containsKey(key)) {
          ActorRef<Rebuilder.Command> r = getContext().spawnAnonymous(
              Rebuilder.create(rebuildContext, v.name(), i, m.device(), m.since()));
          getContext().watch(r);
          rebuilders.put(key, r);
        }
      }
      for (io.rackshare.map.Move m : v.moves()) {
        if (!m.target().blade().equals(rebuildContext.self())) continue;
        String key = v.name() + "#" + m.position() + "#move#" + m.target() + "#" + m.since();
        wanted.add(key);
        if (!rebuilders.containsKey(key)) {
          ActorRef<Rebuilder.Command> r = getContext().spawnAnonymous(
              Rebuilder.create(rebuildContext, v.name(), m.position(), m.target(), m.since(), true));
          getContext().watch(r);
          rebuilders.put(key, r);
        }
      }
    }
    rebuilders.entrySet().removeIf(e -> {
      if (wanted.contains(e.getKey())) return false;
      getContext().stop(e.getValue());
      return true;
    });
  }

  private Behavior<Command> onAwait(AwaitVolume a) {
    GlobalResourceDescriptor v = map.volumes().get(a.volume());
    if (a.satisfiedBy(v)) a.replyTo().tell(v);
    else waiters.add(a);
    return this;
  }
}
