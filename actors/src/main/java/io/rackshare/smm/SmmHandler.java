package io.rackshare.smm;

import io.rackshare.map.BladeId;
import io.rackshare.serialization.RackshareSerializable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * The blade's out-of-band communication handler (0061, 0065-0068, handler 604): the one endpoint
 * through which all of the runtime's inter-blade traffic passes.
 *
 * <ul>
 *   <li>Incoming OOB messages (the SMI) are dispatched to the registered handlers in registration
 *       order until one claims the message.
 *   <li>Requests carry a correlation id; each is answered exactly once, by the target's reply or
 *       by a failure (time-out, target gone, overload). Late replies are dropped.
 *   <li>Requests in flight are bounded per target; the rest wait in a bounded queue (back-pressure),
 *       because the transport silently drops messages once its own send queue is full.
 *   <li>Peers are found through cluster membership: each SMM handler greets the others, and knows
 *       where the global resource manager currently runs.
 * </ul>
 */
public final class SmmHandler extends AbstractBehavior<SmmHandler.Command> {

  /** The actor's name under {@code /system}: peers find each other at this path. */
  public static final String NAME = "rackshare-smm";

  /**
   * What the SMM handler accepts: the local protocol of this blade's actors (register a handler,
   * send, broadcast, request a blade or the manager, reply), the manager's start and stop on this
   * blade, topology subscriptions, and privately the cluster's membership and reachability events.
   * Everything runs on the handler's actor; requests are answered through their {@link Response}.
   */
  public sealed interface Command {}

  // ---- local protocol ------------------------------------------------------------------------

  /** Registers a handler: it receives every incoming message that {@code claims} accepts and no
   * earlier handler claimed. */
  public record RegisterHandler(String name, Predicate<OobMessage> claims, ActorRef<Delivery> handler)
      implements Command {}

  /** One-way message to a blade (possibly this one). Dropped if the blade is unknown. */
  public record Send(BladeId target, OobMessage message) implements Command {}

  /** One-way message to every known blade, this one included. */
  public record Broadcast(OobMessage message) implements Command {}

  /** One-way message to the global resource manager; held (bounded) until its location is known. */
  public record SendToManager(OobMessage message) implements Command {}

  /** A request to a blade: exactly one {@link Response} with the same {@code tag} comes back. */
  public record Request(BladeId target, OobMessage message, long tag, ActorRef<Response> replyTo)
      implements Command {}

  /**
   * A request to the global resource manager, wherever it runs: held until its location is known
   * (within the request time-out), then sent as a {@link Request}.
   */
  public record RequestToManager(OobMessage message, long tag, ActorRef<Response> replyTo) implements Command {}

  /** A local handler's reply to a delivered request (see {@link Responder}). */
  public record Reply(BladeId origin, long correlation, OobMessage message) implements Command {}

  /** The global resource manager started on this blade; it handles {@link OobMessage.ForManager}. */
  public record ManagerStarted(ActorRef<Delivery> manager, long incarnation) implements Command {}

  /** The manager on this blade stopped. */
  public record ManagerStopped(long incarnation) implements Command {}

  /** Subscribes to {@link Topology} changes (peers, manager location); the current one comes at once. */
  public record SubscribeTopology(ActorRef<Topology> subscriber) implements Command {}

  // ---- wire protocol (blade to blade) ----------------------------------------------------------

  /**
   * Greeting between SMM handlers; {@code answer} is false on the first greeting. {@code
   * dataLaneKey} (hex) is the key a lane client proves it holds ({@code LaneCredential}): it
   * travels only here, on the OOB channel.
   */
  public record Hello(
      BladeId from, ActorRef<Command> smm, boolean answer, long managerIncarnation, int dataLanePort,
      String dataLaneUnix, String hostId, String dataLaneKey)
      implements Command, RackshareSerializable {}

  /** An OOB message from {@code from}; {@code correlation} is 0 for one-way messages. */
  public record Envelope(BladeId from, long correlation, OobMessage message)
      implements Command, RackshareSerializable {}

  /** The answer to the request {@code correlation} of the receiving blade. */
  public record ReplyEnvelope(long correlation, OobMessage message)
      implements Command, RackshareSerializable {}

  /** The manager runs on {@code blade} since {@code incarnation} (a later incarnation wins). */
  public record ManagerAt(BladeId blade, long incarnation) implements Command, RackshareSerializable {}

  /** The manager on {@code blade} of that incarnation stopped. */
  public record ManagerGone(BladeId blade, long incarnation)
      implements Command, RackshareSerializable {}

  /** The reply a target sends when none of its handlers claims a request. */
  public record Unclaimed(String messageType) implements OobMessage {}

  // ---- what handlers and requesters receive ----------------------------------------------------

  /** An incoming OOB message, handed to the handler that claimed it. */
  public record Delivery(BladeId from, OobMessage message, Responder responder) {}

  /** Answers a delivered request along the way it came. One-way messages have no responder. */
  public record Responder(ActorRef<Command> smm, BladeId origin, long correlation) {
    public void reply(OobMessage message) {
      if (correlation != 0) smm.tell(new Reply(origin, correlation, message));
    }

    public boolean expectsReply() {
      return correlation != 0;
    }
  }

  /** The single answer to a {@link Request}. */
  public sealed interface Response {
    long tag();
  }

  /**
   * The target blade {@code from} answered the request of this {@code tag} with {@code message}.
   */
  public record Answered(long tag, BladeId from, OobMessage message) implements Response {}

  /**
   * The request of this {@code tag} to {@code target} got no answer: {@code failure} says why, in
   * the terms a caller acts on (retry, fail the member, wait for a route), and {@code detail} says
   * it for a person (for logs and error messages).
   */
  public record Failed(long tag, BladeId target, Failure failure, String detail) implements Response {}

  /**
   * Why a request to a blade failed. Only {@link #UNREACHABLE} is evidence that the target's
   * process is gone; {@link #TIMEOUT} and {@link #NO_ROUTE} are also what a cut link looks like.
   */
  public enum Failure {
    /** No answer within {@code rackshare.oob.request-timeout}. */
    TIMEOUT,
    /**
     * The target's process is known to be gone: it left the cluster, or its host refused or closed
     * the connection (its kernel answered for a process that no longer listens).
     */
    UNREACHABLE,
    /**
     * The target could not be reached (no route, a connection attempt that timed out), which a
     * cut link looks like as much as a dead blade: not evidence that its process is gone.
     */
    NO_ROUTE,
    /** Too many requests were queued for the target. */
    OVERLOADED,
    /** The target has no handler for the request. */
    NO_HANDLER
  }

  /**
   * Who this blade can talk to, where the manager runs, which peers the failure detector suspects
   * right now ({@code unreachable}: still peers, not yet removed), and whether this blade's side
   * of the cluster may have a manager ({@link Quorum}).
   */
  public record Topology(BladeId self, Set<BladeId> peers, Optional<BladeId> manager,
      Map<BladeId, Address> addresses, Set<BladeId> unreachable, Quorum quorum) {
    public Topology(BladeId self, Set<BladeId> peers, Optional<BladeId> manager) {
      this(self, peers, manager, Map.of(), Set.of(), Quorum.ALONE);
    }

    /** {@code blade} is a peer the failure detector does not suspect. */
    public boolean reachable(BladeId blade) {
      return peers.contains(blade) && !unreachable.contains(blade);
    }
  }

  // ---- internal ------------------------------------------------------------------------------

  private record MemberChanged(ClusterEvent.MemberEvent event) implements Command {}

  private record ReachabilityChanged(ClusterEvent.ReachabilityEvent event) implements Command {}

  /** The data lane saw {@code blade}'s host refuse or close its connection: its process is gone. */
  private record LaneGone(BladeId blade) implements Command {}

  private enum Tick implements Command { INSTANCE }

  private record Handler(String name, Predicate<OobMessage> claims, ActorRef<Delivery> ref) {}

  /** {@code toManager}: sent to the blade that ran the manager when it was sent. */
  private record Pending(
      BladeId target, OobMessage message, long tag, ActorRef<Response> replyTo, long deadline, boolean toManager) {
    Pending(BladeId target, OobMessage message, long tag, ActorRef<Response> replyTo, long deadline) {
      this(target, message, tag, replyTo, deadline, false);
    }
  }


  /** An SMM handler with no data lane (control messages only). */
  public static Behavior<Command> create(BladeId self, OobSettings settings) {
    return create(self, settings, null);
  }

  /** An SMM handler that owns {@code lane}: it advertises it to peers and closes it on stop. */
  public static Behavior<Command> create(BladeId self, OobSettings settings, DataLane lane) {
    return Behaviors.setup(
        ctx -> Behaviors.withTimers(timers -> new SmmHandler(ctx, timers, self, settings, lane)));
  }

  private final BladeId self;
  private final OobSettings settings;
  private final DataLane lane;
  private final Address selfAddress;
  private final ActorRefResolver resolver;
  private final List<Handler> handlers = new ArrayList<>();
  private final Map<BladeId, ActorRef<Command>> peers = new HashMap<>();
  private final Map<Address, BladeId> bladeAt = new HashMap<>();
  /** Members greeted that have not greeted back yet, with the ref greeted. */
  private final Map<Address, ActorRef<Command>> greeting = new HashMap<>();
  /** Members the failure detector suspects (this blade's view of the cluster's reachability). */
  private final Set<Address> unreachable = new HashSet<>();
  /**
   * Peers whose process is known to be gone (their host closed or refused the lane) before the
   * failure detector says so: they count as unreachable until they greet again.
   */
  private final Set<BladeId> gone = new HashSet<>();
  /** The cluster's members as the events told them (the read view may lag behind the events). */
  private final Map<Address, org.apache.pekko.cluster.Member> members = new HashMap<>();
  private Quorum published = Quorum.NONE;
  /** Per target: room for requests in flight and the queue waiting for it. */
  private final Map<BladeId, FlowWindow<Pending>> channels = new HashMap<>();
  private final Map<Long, Pending> inFlight = new HashMap<>();
  private final List<ActorRef<Topology>> subscribers = new ArrayList<>();
  private final ArrayDeque<OobMessage> forManager = new ArrayDeque<>();
  private final ArrayDeque<Pending> managerRequests = new ArrayDeque<>();
  private ActorRef<Delivery> localManager;
  private long localManagerIncarnation;
  private BladeId managerBlade;
  private long managerIncarnation;
  private long nextCorrelation = 1;
  private long lateReplies;
  private long lastGreetingNanos = System.nanoTime();

  private SmmHandler(ActorContext<Command> ctx, TimerScheduler<Command> timers, BladeId self,
      OobSettings settings, DataLane lane) {
    super(ctx);
    ctx.setLoggerName(SmmHandler.class);
    this.self = self;
    this.settings = settings;
    this.lane = lane;
    this.resolver = ActorRefResolver.get(ctx.getSystem());
    Cluster cluster = Cluster.get(ctx.getSystem());
    this.selfAddress = cluster.selfMember().address();
    peers.put(self, ctx.getSelf());
    cluster
        .subscriptions()
        .tell(
            Subscribe.create(
                ctx.messageAdapter(ClusterEvent.MemberEvent.class, MemberChanged::new),
                ClusterEvent.MemberEvent.class));
    cluster
        .subscriptions()
        .tell(
            Subscribe.create(
                ctx.messageAdapter(ClusterEvent.ReachabilityEvent.class, ReachabilityChanged::new),
                ClusterEvent.ReachabilityEvent.class));
    timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.tickInterval());
    if (lane != null) {
      ActorRef<Command> me = ctx.getSelf();
      lane.onGone(blade -> me.tell(new LaneGone(blade)));
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(RegisterHandler.class, this::onRegister)
        .onMessage(Send.class, this::onSend)
        .onMessage(Broadcast.class, this::onBroadcast)
        .onMessage(SendToManager.class, this::onSendToManager)
        .onMessage(Request.class, this::onRequest)
        .onMessage(RequestToManager.class, this::onRequestToManager)
        .onMessage(Reply.class, this::onReply)
        .onMessage(Envelope.class, this::onEnvelope)
        .onMessage(ReplyEnvelope.class, this::onReplyEnvelope)
        .onMessage(Hello.class, this::onHello)
        .onMessage(ManagerStarted.class, this::onManagerStarted)
        .onMessage(ManagerStopped.class, this::onManagerStopped)
        .onMessage(ManagerAt.class, this::onManagerAt)
        .onMessage(ManagerGone.class, this::onManagerGone)
        .onMessage(SubscribeTopology.class, this::onSubscribe)
        .onMessage(MemberChanged.class, this::onMemberChanged)
        .onMessage(ReachabilityChanged.class, this::onReachabilityChanged)
        .onMessage(LaneGone.class, this::onLaneGone)
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .onSignal(PostStop.class, s -> {
          if (lane != null) lane.close();
          return this;
        })
        .build();
  }

  // ---- handlers and dispatch -------------------------------------------------------------------

  private Behavior<Command> onRegister(RegisterHandler r) {
    handlers.add(new Handler(r.name(), r.claims(), r.handler()));
    return this;
  }

  /** The SMI: hand an incoming message to the first handler that claims it. */
  private void dispatch(BladeId from, long correlation, OobMessage message) {
    Responder responder = new Responder(getContext().getSelf(), from, correlation);
    if (message instanceof OobMessage.ForManager && localManager != null) {
      localManager.tell(new Delivery(from, message, responder));
      return;
    }
    for (Handler h : handlers) {
      if (h.claims().test(message)) {
        h.ref().tell(new Delivery(from, message, responder));
        return;
      }
    }
    getContext().getLog().warn("no handler claims {} from {}", message.getClass().getName(), from);
    responder.reply(new Unclaimed(message.getClass().getName()));
  }

  // ---- one-way messages ------------------------------------------------------------------------

  private Behavior<Command> onSend(Send s) {
    sendOneWay(s.target(), s.message());
    return this;
  }

  private void sendOneWay(BladeId target, OobMessage message) {
    if (target.equals(self)) {
      dispatch(self, 0, message);
    } else {
      ActorRef<Command> peer = peers.get(target);
      if (peer == null) {
        getContext().getLog().debug("dropping {} for unknown blade {}", message, target);
      } else {
        peer.tell(new Envelope(self, 0, message));
      }
    }
  }

  private Behavior<Command> onBroadcast(Broadcast b) {
    for (BladeId target : new ArrayList<>(peers.keySet())) sendOneWay(target, b.message());
    return this;
  }

  private Behavior<Command> onSendToManager(SendToManager s) {
    if (managerBlade != null) {
      sendOneWay(managerBlade, s.message());
    } else if (forManager.size() < settings.maxQueuedPerTarget()) {
      forManager.add(s.message());
    } else {
      getContext().getLog().warn("no manager known and {} messages held: dropping {}",
          forManager.size(), s.message());
    }
    return this;
  }

  private void flushForManager() {
    while (managerBlade != null && !forManager.isEmpty()) {
      sendOneWay(managerBlade, forManager.poll());
    }
    while (managerReachable() && !managerRequests.isEmpty()) {
      Pending p = managerRequests.poll();
      request(new Request(managerBlade, p.message(), p.tag(), p.replyTo()), true);
    }
  }

  /** The manager is known and its blade not suspected by the failure detector. */
  private boolean managerReachable() {
    if (managerBlade == null) return false;
    if (managerBlade.equals(self)) return true;
    if (gone.contains(managerBlade)) return false;
    ActorRef<Command> ref = peers.get(managerBlade);
    return ref != null && !unreachable.contains(ref.path().address());
  }

  private Behavior<Command> onRequestToManager(RequestToManager r) {
    // A suspected manager's blade is most likely dead: the request waits for the next manager.
    if (managerReachable()) return request(new Request(managerBlade, r.message(), r.tag(), r.replyTo()), true);
    if (managerRequests.size() >= settings.maxQueuedPerTarget()) {
      r.replyTo().tell(new Failed(r.tag(), self, Failure.OVERLOADED, managerRequests.size()
          + " requests already wait for a manager"));
    } else {
      managerRequests.add(new Pending(self, r.message(), r.tag(), r.replyTo(),
          System.nanoTime() + settings.requestTimeout().toNanos()));
    }
    return this;
  }

  // ---- requests and replies --------------------------------------------------------------------

  private Behavior<Command> onRequest(Request r) {
    return request(r, false);
  }

  private Behavior<Command> request(Request r, boolean toManager) {
    long deadline = System.nanoTime() + settings.requestTimeout().toNanos();
    Pending p = new Pending(r.target(), r.message(), r.tag(), r.replyTo(), deadline, toManager);
    FlowWindow<Pending> ch = channel(r.target());
    if (peers.containsKey(r.target()) && ch.tryAcquire()) {
      transmit(p);
    } else if (!ch.enqueue(new FlowWindow.Queued<>(p, null, deadline))) {
      r.replyTo().tell(new Failed(r.tag(), r.target(), Failure.OVERLOADED,
          ch.queued() + " requests already wait for " + r.target()));
    }
    return this;
  }

  private FlowWindow<Pending> channel(BladeId target) {
    return channels.computeIfAbsent(target,
        t -> new FlowWindow<>(settings.maxInFlightPerTarget(), settings.maxQueuedPerTarget()));
  }

  /** Sends {@code p}, which holds a place in its target's window. */
  private void transmit(Pending p) {
    long correlation = nextCorrelation++;
    inFlight.put(correlation, p);
    if (p.target().equals(self)) {
      dispatch(self, correlation, p.message());
    } else {
      peers.get(p.target()).tell(new Envelope(self, correlation, p.message()));
    }
  }

  /** Sends what fits into {@code target}'s window. */
  private void drain(BladeId target) {
    FlowWindow<Pending> ch = channels.get(target);
    if (ch == null || !peers.containsKey(target)) return;
    ch.pump(q -> transmit(q.request()));
  }

  private Behavior<Command> onEnvelope(Envelope e) {
    dispatch(e.from(), e.correlation(), e.message());
    return this;
  }

  private Behavior<Command> onReply(Reply r) {
    if (r.origin().equals(self)) {
      complete(r.correlation(), r.message());
    } else {
      ActorRef<Command> peer = peers.get(r.origin());
      if (peer != null) peer.tell(new ReplyEnvelope(r.correlation(), r.message()));
      else getContext().getLog().debug("reply for departed blade {} dropped", r.origin());
    }
    return this;
  }

  private Behavior<Command> onReplyEnvelope(ReplyEnvelope r) {
    complete(r.correlation(), r.message());
    return this;
  }

  private void complete(long correlation, OobMessage message) {
    Pending p = inFlight.remove(correlation);
    if (p == null) {
      lateReplies++;
      getContext().getLog().debug("late reply {} dropped ({} so far)", correlation, lateReplies);
      return;
    }
    channels.get(p.target()).release();
    if (message instanceof Unclaimed u) {
      p.replyTo().tell(new Failed(p.tag(), p.target(), Failure.NO_HANDLER,
          p.target() + " has no handler for " + u.messageType()));
    } else {
      p.replyTo().tell(new Answered(p.tag(), p.target(), message));
    }
    drain(p.target());
  }

  private Behavior<Command> onTick() {
    long now = System.nanoTime();
    Set<BladeId> touched = new HashSet<>();
    for (Iterator<Pending> it = inFlight.values().iterator(); it.hasNext(); ) {
      Pending p = it.next();
      if (now - p.deadline() >= 0) {
        it.remove();
        channels.get(p.target()).release();
        touched.add(p.target());
        p.replyTo().tell(new Failed(p.tag(), p.target(), Failure.TIMEOUT,
            "no answer from " + p.target() + " within " + settings.requestTimeout()));
      }
    }
    for (FlowWindow<Pending> ch : channels.values()) {
      ch.expire(now, q -> {
        Pending p = q.request();
        p.replyTo().tell(new Failed(p.tag(), p.target(), Failure.TIMEOUT,
            peers.containsKey(p.target())
                ? "queued for " + p.target() + " longer than " + settings.requestTimeout()
                : "blade " + p.target() + " is not known on the OOB channel"));
      });
    }
    touched.forEach(this::drain);
    for (Iterator<Pending> it = managerRequests.iterator(); it.hasNext(); ) {
      Pending p = it.next();
      if (now - p.deadline() >= 0) {
        it.remove();
        p.replyTo().tell(new Failed(p.tag(), self, Failure.TIMEOUT,
            "no global resource manager known within " + settings.requestTimeout()));
      }
    }
    if (!greeting.isEmpty() && now - lastGreetingNanos >= settings.helloInterval().toNanos()) {
      // Peers whose SMM handler had not started yet when we first greeted them.
      lastGreetingNanos = now;
      greeting.forEach((address, ref) ->
          ref.tell(hello(false)));
    }
    return this;
  }

  // ---- peers through cluster membership --------------------------------------------------------

  private Behavior<Command> onMemberChanged(MemberChanged m) {
    org.apache.pekko.cluster.Member member = m.event().member();
    if (m.event() instanceof ClusterEvent.MemberRemoved) members.remove(member.address());
    else members.put(member.address(), member);
    memberChanged(m);
    // Members joining, leaving or being removed change the quorum even when no peer changes.
    if (!quorum().equals(published)) publishTopology();
    return this;
  }

  private Quorum quorum() {
    if (gone.isEmpty()) return Quorum.of(members.values(), unreachable, selfAddress);
    Set<Address> out = new HashSet<>(unreachable);
    for (BladeId b : gone) {
      ActorRef<Command> ref = peers.get(b);
      if (ref != null) out.add(ref.path().address());
    }
    return Quorum.of(members.values(), out, selfAddress);
  }

  /**
   * This blade leaves the cluster: from now on the others vanish from its view (the cluster tells
   * a leaving node every other member is removed), which says nothing about them. A manager that
   * took that for their loss would journal failures of members that are fine.
   */
  private boolean leaving;

  private void memberChanged(MemberChanged m) {
    Address address = m.event().member().address();
    if (address.equals(selfAddress)) {
      org.apache.pekko.cluster.MemberStatus status = m.event().member().status();
      if (status != org.apache.pekko.cluster.MemberStatus.up() && status != org.apache.pekko.cluster.MemberStatus.weaklyUp()
          && status != org.apache.pekko.cluster.MemberStatus.joining()) {
        if (!leaving) getContext().getLog().info("this blade leaves the cluster ({}): the others leaving its view are"
            + " not lost", status);
        leaving = true;
      }
      return;
    }
    if (leaving) return;
    if (m.event() instanceof ClusterEvent.MemberUp) {
      ActorRef<Command> ref =
          resolver.resolveActorRef(address + "/system/" + NAME);
      greeting.put(address, ref);
      ref.tell(hello(false));
    } else if (m.event() instanceof ClusterEvent.MemberRemoved
        || m.event() instanceof ClusterEvent.MemberExited) {
      greeting.remove(address);
      boolean removed = m.event() instanceof ClusterEvent.MemberRemoved;
      if (removed) unreachable.remove(address);
      BladeId gone = removed ? bladeAt.remove(address) : bladeAt.get(address);
      ActorRef<Command> current = gone == null ? null : peers.get(gone);
      // A blade that restarted greets from a new address before its old incarnation is removed:
      // only the incarnation we talk to can leave.
      if (current != null && current.path().address().equals(address)) {
        peerGone(gone, "left the cluster (" + m.event().getClass().getSimpleName() + ")", removed);
      } else if (removed && gone != null && gone.equals(managerBlade) && !peers.containsKey(gone)) {
        // It exited earlier; now that it is removed, so is the manager it ran.
        managerBlade = null;
        managerIncarnation = 0;
        publishTopology();
      }
    }
  }

  /**
   * The failure detector suspects a member, or trusts it again. Requests to the manager in flight
   * to a suspected blade fail at once (their senders ask again, of whichever manager comes next),
   * and subscribers learn of the suspicion: status shows it from that moment on.
   */
  private Behavior<Command> onReachabilityChanged(ReachabilityChanged r) {
    Address address = r.event().member().address();
    if (r.event() instanceof ClusterEvent.UnreachableMember) {
      unreachable.add(address);
      BladeId blade = bladeAt.get(address);
      // Only the incarnation we talk to: a blade started again greets from a new address while its
      // dead self is still suspected.
      if (blade != null && lane != null && peers.containsKey(blade)
          && peers.get(blade).path().address().equals(address)) {
        lane.suspect(blade, true);
      }
      if (blade != null) {
        getContext().getLog().warn("OOB peer {} is unreachable (suspected by the failure detector)", blade);
        failManagerRequests(blade, "the failure detector suspects " + blade);
      }
    } else {
      unreachable.remove(address);
      BladeId blade = bladeAt.get(address);
      if (blade != null && lane != null) lane.suspect(blade, false);
      if (blade != null) getContext().getLog().info("OOB peer {} is reachable again", blade);
      flushForManager();
    }
    publishTopology();
    return this;
  }

  /**
   * {@code blade}'s host closed or refused its lane: its process is gone, whatever the failure
   * detector will say in a few seconds. It counts as unreachable at once (status, quorum, the
   * manager's seat), and requests to a manager there are asked again of the next.
   */
  private Behavior<Command> onLaneGone(LaneGone g) {
    if (!peers.containsKey(g.blade()) || g.blade().equals(self) || !gone.add(g.blade())) return this;
    getContext().getLog().warn("OOB peer {} is gone: its host closed or refused its data lane", g.blade());
    failManagerRequests(g.blade(), "the process of " + g.blade() + " is gone");
    publishTopology();
    return this;
  }

  /** Fails the requests in flight that went to the manager on {@code blade}: their senders ask again. */
  private void failManagerRequests(BladeId blade, String why) {
    Set<BladeId> touched = new HashSet<>();
    for (Iterator<Pending> it = inFlight.values().iterator(); it.hasNext(); ) {
      Pending p = it.next();
      if (p.toManager() && p.target().equals(blade)) {
        it.remove();
        channels.get(p.target()).release();
        touched.add(p.target());
        p.replyTo().tell(new Failed(p.tag(), blade, Failure.UNREACHABLE, why));
      }
    }
    touched.forEach(this::drain);
  }

  private long localIncarnation() {
    return localManager != null ? localManagerIncarnation : 0;
  }

  private Hello hello(boolean answer) {
    String unix = lane == null || lane.unixPath() == null ? "" : lane.unixPath();
    return new Hello(self, getContext().getSelf(), answer, localIncarnation(), lane == null ? 0 : lane.port(), unix,
        DataLane.hostId(), lane == null ? "" : java.util.HexFormat.of().formatHex(lane.key()));
  }

  /** The lane key of a greeting, or null if it has none (that blade serves no lane). */
  private static byte[] laneKey(String hex) {
    if (hex == null || hex.isEmpty()) return null;
    try {
      return java.util.HexFormat.of().parseHex(hex);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private Behavior<Command> onHello(Hello h) {
    Address address = h.smm().path().address();
    greeting.remove(address);
    gone.remove(h.from());
    ActorRef<Command> previous = peers.put(h.from(), h.smm());
    bladeAt.put(address, h.from());
    if (!h.answer()) h.smm().tell(hello(true));
    boolean sameHost = !h.hostId().isEmpty() && h.hostId().equals(DataLane.hostId()) && !h.dataLaneUnix().isEmpty()
        && java.nio.file.Files.exists(java.nio.file.Path.of(h.dataLaneUnix()));
    byte[] key = laneKey(h.dataLaneKey());
    if (lane != null && key != null && sameHost) {
      lane.peerAtUnix(h.from(), h.dataLaneUnix(), key);
    } else if (lane != null && key != null && h.dataLanePort() > 0 && address.host().isDefined()) {
      lane.peerAt(h.from(), address.host().get(), h.dataLanePort(), key);
    }
    if (h.managerIncarnation() > 0) learnManager(h.from(), h.managerIncarnation());
    if (previous == null || !previous.equals(h.smm())) {
      getContext().getLog().info("OOB peer {} at {}", h.from(), address);
      publishTopology();
    }
    drain(h.from());
    return this;
  }

  /**
   * {@code blade} left: requests in flight to it fail. The manager it announced is forgotten only
   * once it is {@code removed} (or said it stopped): a blade that is exiting may still run it for a
   * moment, and a seat without a lease waits for exactly this.
   */
  private void peerGone(BladeId blade, String why, boolean removed) {
    gone.remove(blade);
    peers.remove(blade);
    if (lane != null) lane.peerGone(blade, why);
    getContext().getLog().info("OOB peer {} {}", blade, why);
    for (Iterator<Pending> it = inFlight.values().iterator(); it.hasNext(); ) {
      Pending p = it.next();
      if (p.target().equals(blade)) {
        it.remove();
        p.replyTo().tell(new Failed(p.tag(), blade, Failure.UNREACHABLE, blade + " " + why));
      }
    }
    FlowWindow<Pending> ch = channels.remove(blade);
    if (ch != null) {
      ch.drain(q -> q.request().replyTo().tell(new Failed(q.request().tag(), blade, Failure.UNREACHABLE,
          blade + " " + why)));
    }
    if (removed && blade.equals(managerBlade)) {
      managerBlade = null;
      managerIncarnation = 0;
    }
    publishTopology();
  }

  // ---- where the manager runs -----------------------------------------------------------------

  private Behavior<Command> onManagerStarted(ManagerStarted m) {
    localManager = m.manager();
    localManagerIncarnation = m.incarnation();
    learnManager(self, m.incarnation());
    for (BladeId peer : peers.keySet()) {
      if (!peer.equals(self)) peers.get(peer).tell(new ManagerAt(self, m.incarnation()));
    }
    return this;
  }

  private Behavior<Command> onManagerStopped(ManagerStopped m) {
    if (localManagerIncarnation == m.incarnation()) {
      localManager = null;
      localManagerIncarnation = 0;
      for (BladeId peer : peers.keySet()) {
        peers.get(peer).tell(new ManagerGone(self, m.incarnation()));
      }
    }
    return this;
  }

  private Behavior<Command> onManagerAt(ManagerAt m) {
    learnManager(m.blade(), m.incarnation());
    return this;
  }

  private Behavior<Command> onManagerGone(ManagerGone m) {
    if (m.blade().equals(managerBlade) && m.incarnation() == managerIncarnation) {
      managerBlade = null;
      managerIncarnation = 0;
      publishTopology();
    }
    return this;
  }

  private void learnManager(BladeId blade, long incarnation) {
    if (incarnation < managerIncarnation) return;
    boolean changed = !blade.equals(managerBlade) || incarnation != managerIncarnation;
    BladeId previous = managerBlade;
    if (previous != null && !previous.equals(blade)) {
      failManagerRequests(previous, "the manager moved from " + previous + " to " + blade);
    }
    managerBlade = blade;
    managerIncarnation = incarnation;
    if (changed && lane != null && !blade.equals(self)) lane.watch(blade);
    if (changed) {
      getContext().getLog().info("global resource manager is on {}", blade);
      publishTopology();
    }
    flushForManager();
  }

  // ---- topology subscribers --------------------------------------------------------------------

  private Behavior<Command> onSubscribe(SubscribeTopology s) {
    subscribers.add(s.subscriber());
    s.subscriber().tell(topology());
    return this;
  }

  private Topology topology() {
    Map<BladeId, Address> addresses = new HashMap<>();
    peers.forEach((b, ref) -> addresses.put(b, b.equals(self) ? selfAddress : ref.path().address()));
    Set<BladeId> suspected = new TreeSet<>(gone);
    for (Address a : unreachable) {
      BladeId b = bladeAt.get(a);
      if (b != null && peers.containsKey(b)) suspected.add(b);
    }
    return new Topology(self, Set.copyOf(new TreeSet<>(peers.keySet())), Optional.ofNullable(managerBlade),
        Map.copyOf(addresses), Set.copyOf(suspected), quorum());
  }

  private void publishTopology() {
    Topology t = topology();
    published = t.quorum();
    subscribers.forEach(s -> s.tell(t));
  }
}
