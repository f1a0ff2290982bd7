package io.rackshare.manager;

import io.rackshare.map.BladeId;
import io.rackshare.smm.SmmHandler;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.coordination.lease.javadsl.Lease;

/**
 * This blade's seat for the global resource manager (0086): every blade runs one, and the seat
 * of the blade nominated by the policy ({@link Candidates}: lowest slot or first in) runs the
 * {@link ResourceManager} as its child, while its side of the cluster has a {@link
 * io.rackshare.smm.Quorum quorum}.
 *
 * <p><b>With a lease</b> (a Pekko {@link Lease}; for a JDBC journal one kept in the journal's
 * database), the nominated blade takes the seat as soon as every candidate ahead of it is
 * <em>unreachable</em>, not removed: it acquires the lease, and the lease is free only once the
 * old holder has stopped renewing it, and so has stopped acting (its own belief ends before the
 * lease's expiry). The manager runs only while the seat holds the lease and has a quorum ({@link
 * #authority}); it stops when either ends, and hands off gracefully (stop, then release) when a
 * better candidate has been there for {@code handoff-after}.
 *
 * <p><b>Without a lease</b> (the in-memory journal, whose history dies with its blade anyway),
 * nothing outside the cluster can tell that the old manager stopped: the nominated blade starts
 * one only when no manager is announced, that is once the old manager has stopped (a hand-off)
 * or its blade has been removed from the cluster (by the Split Brain Resolver), as Cluster
 * Singleton does.
 *
 * <p>Runs on the actor's dispatcher; the lease's calls run on the lease's own threads.
 */
public final class ManagerSeat extends AbstractBehavior<ManagerSeat.Command> {

  /**
   * The seat's messages, all private: topology changes, its {@code tick}, the lease acquired, lost
   * or released (completed on the lease's threads and sent here), and the restart of a manager that
   * stopped by itself.
   */
  public sealed interface Command {}

  /**
   * {@code tick}: how often the seat looks again; {@code handoffAfter}: how long a better
   * candidate must have been there before the manager moves to it; {@code restartAfter}: the
   * pause before a manager that stopped by itself (a journal write refused) starts again.
   */
  public record Settings(String policy, Duration tick, Duration handoffAfter, Duration restartAfter) {
    public static Settings defaults(String policy) {
      return new Settings(policy, Duration.ofMillis(100), Duration.ofSeconds(2), Duration.ofMillis(500));
    }
  }

  /** What this blade's seat does, for status: {@code holding} with {@code token} when it runs the manager. */
  public record View(String lease, boolean holding, long token, String lastChange) {
    public static final View NONE = new View("", false, 0, "");
  }

  /**
   * The manager to run: given the incarnation it announces itself with and the authority it
   * checks before every change.
   */
  public interface ManagerFactory {
    Behavior<ResourceManager.Command> create(long incarnation, java.util.function.BooleanSupplier authority);
  }

  private record TopologyChanged(SmmHandler.Topology topology) implements Command {}

  private enum Tick implements Command { INSTANCE }

  private record Acquired(long attempt, boolean ok, Throwable failure) implements Command {}

  private record LeaseLost(long attempt, String why) implements Command {}

  private record Released(long attempt) implements Command {}

  private record RestartManager(long attempt) implements Command {}

  private enum Phase { IDLE, ACQUIRING, HOLDING, STOPPING }

  public static Behavior<Command> create(BladeId self, ActorRef<SmmHandler.Command> smm, Settings settings,
      Lease lease, ManagerFactory manager, AtomicReference<View> view) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new ManagerSeat(ctx, timers, self, smm, settings, lease, manager, view)));
  }

  private final BladeId self;
  private final Settings settings;
  private final Lease lease;
  private final ManagerFactory factory;
  private final AtomicReference<View> view;
  private final TimerScheduler<Command> timers;
  private final Cluster cluster;
  /** Whether the running manager may change anything: cleared the moment the seat is lost. */
  private final AtomicBoolean authority = new AtomicBoolean();
  private SmmHandler.Topology topology;
  private Phase phase = Phase.IDLE;
  private long attempt;
  private ActorRef<ResourceManager.Command> manager;
  private long token;
  /** Since when a better candidate than this blade is there (0: none), while it holds the seat. */
  private long betterSince;
  private boolean releaseAfterStop;

  private ManagerSeat(ActorContext<Command> ctx, TimerScheduler<Command> timers, BladeId self,
      ActorRef<SmmHandler.Command> smm, Settings settings, Lease lease, ManagerFactory factory,
      AtomicReference<View> view) {
    super(ctx);
    ctx.setLoggerName(ManagerSeat.class);
    this.self = self;
    this.settings = settings;
    this.lease = lease;
    this.factory = factory;
    this.view = view;
    this.timers = timers;
    this.cluster = Cluster.get(Adapter.toClassic(ctx.getSystem()));
    smm.tell(new SmmHandler.SubscribeTopology(ctx.messageAdapter(SmmHandler.Topology.class, TopologyChanged::new)));
    timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.tick());
    publish("idle");
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(TopologyChanged.class, t -> {
          topology = t.topology();
          return look();
        })
        .onMessageEquals(Tick.INSTANCE, this::look)
        .onMessage(Acquired.class, this::onAcquired)
        .onMessage(LeaseLost.class, l -> {
          if (l.attempt() == attempt && phase == Phase.HOLDING) stepDown("the lease was lost: " + l.why(), false);
          return this;
        })
        .onMessage(Released.class, r -> {
          if (r.attempt() == attempt && phase == Phase.STOPPING && manager == null) idle("released the lease");
          return this;
        })
        .onMessage(RestartManager.class, r -> {
          if (r.attempt() == attempt && phase == Phase.HOLDING && manager == null && mayAct()) startManager();
          return this;
        })
        .onSignal(Terminated.class, this::onManagerStopped)
        .onSignal(PostStop.class, s -> {
          authority.set(false);
          if (lease != null && (phase == Phase.HOLDING || phase == Phase.STOPPING)) lease.release();
          return this;
        })
        .build();
  }

  /** What the seat should do now, from the cluster's membership, the quorum and the lease. */
  private Behavior<Command> look() {
    if (topology == null) return this;
    boolean quorum = topology.quorum().kept();
    // A blade that leaves (its coordinated shutdown began) stops its manager first of all: its
    // successor may start once it announced that, or once it is removed.
    boolean up = cluster.selfMember().status() == org.apache.pekko.cluster.MemberStatus.up();
    Optional<BladeId> first = first();
    switch (phase) {
      case IDLE -> {
        if (up && quorum && first.equals(Optional.of(self)) && (lease != null || noManagerElsewhere())) acquire();
      }
      case HOLDING -> {
        if (!up) {
          stepDown("this blade leaves the cluster", true);
        } else if (!quorum) {
          stepDown("this blade lost its quorum: " + topology.quorum().reason(), true);
        } else if (lease != null && !lease.checkLease()) {
          stepDown("the lease is no longer held", false);
        } else if (first.isPresent() && !first.get().equals(self)) {
          long now = System.nanoTime();
          if (betterSince == 0) betterSince = now;
          if (now - betterSince >= settings.handoffAfter().toNanos()) {
            stepDown("hands the manager off to " + first.get() + ", the " + settings.policy() + " candidate", true);
          }
        } else {
          betterSince = 0;
        }
      }
      default -> {}
    }
    return this;
  }

  /**
   * The candidate that should hold the seat in this blade's view, if the view is complete: with
   * a lease, among the Up members the failure detector does not suspect; without one, among all
   * Up members (a member must be removed before another takes its place).
   */
  private Optional<BladeId> first() {
    Optional<List<BladeId>> order = Candidates.complete(settings.policy(), topology, cluster.state(), lease == null);
    return order.flatMap(o -> o.stream().findFirst());
  }

  /** Without a lease: no manager is announced anywhere but here. */
  private boolean noManagerElsewhere() {
    return topology.manager().isEmpty() || topology.manager().equals(Optional.of(self));
  }

  private void acquire() {
    long a = ++attempt;
    phase = Phase.ACQUIRING;
    if (lease == null) {
      getContext().getSelf().tell(new Acquired(a, true, null));
      return;
    }
    ActorRef<Command> me = getContext().getSelf();
    lease.acquire(failure -> me.tell(new LeaseLost(a, failure.map(Throwable::getMessage).orElse("no reason given"))))
        .whenComplete((ok, failure) -> me.tell(new Acquired(a, Boolean.TRUE.equals(ok), failure)));
  }

  private Behavior<Command> onAcquired(Acquired a) {
    if (a.attempt() != attempt || phase != Phase.ACQUIRING) {
      if (a.ok() && lease != null && a.attempt() != attempt) lease.release();
      return this;
    }
    if (!a.ok()) {
      phase = Phase.IDLE;
      if (a.failure() != null) getContext().getLog().info("manager lease not acquired: {}", a.failure().toString());
      return this;
    }
    // The view may have changed while the lease was asked for.
    if (!topology.quorum().kept() || !first().equals(Optional.of(self))) {
      phase = Phase.HOLDING;
      stepDown("acquired the lease, but is no longer the candidate with a quorum", true);
      return this;
    }
    phase = Phase.HOLDING;
    betterSince = 0;
    token = lease instanceof Fenced f && f.fencingToken() > 0 ? f.fencingToken() : System.currentTimeMillis();
    startManager();
    return this;
  }

  private boolean mayAct() {
    return topology != null && topology.quorum().kept() && (lease == null || lease.checkLease());
  }

  private void startManager() {
    authority.set(true);
    // The view first: whoever hears from the manager (it starts on another thread) sees the seat held.
    publish("holds the seat");
    java.util.function.BooleanSupplier check = () -> authority.get() && (lease == null || lease.checkLease());
    manager = getContext().spawn(factory.create(token, check), "manager-" + token + "-" + attempt);
    getContext().watch(manager);
    getContext().getLog().info("{} holds the manager's seat ({}{}); starting the manager", self,
        lease == null ? "no lease: no other manager is announced" : "lease held", lease == null ? "" : ", token " + token);
  }

  /** Stops the manager; {@code release}: then gives the lease back (a hand-off or a lost quorum). */
  private void stepDown(String why, boolean release) {
    authority.set(false);
    getContext().getLog().warn("{} leaves the manager's seat: {}", self, why);
    phase = Phase.STOPPING;
    releaseAfterStop = release;
    betterSince = 0;
    publish(why);
    if (manager != null) {
      getContext().stop(manager);
    } else {
      afterStop();
    }
  }

  private Behavior<Command> onManagerStopped(Terminated t) {
    if (!t.getRef().equals(manager)) return this;
    manager = null;
    if (phase == Phase.STOPPING) {
      afterStop();
    } else if (phase == Phase.HOLDING) {
      // It stopped by itself (a refused journal write: another manager wrote first). It starts
      // again, recovering what the journal holds, if the seat is still this blade's.
      getContext().getLog().warn("the manager stopped by itself; starting it again in {} if the seat is still held",
          settings.restartAfter());
      timers.startSingleTimer(new RestartManager(attempt), settings.restartAfter());
    }
    return this;
  }

  private void afterStop() {
    if (lease == null || !releaseAfterStop) {
      idle("stopped");
      return;
    }
    long a = attempt;
    ActorRef<Command> me = getContext().getSelf();
    lease.release().whenComplete((ok, failure) -> me.tell(new Released(a)));
  }

  private void idle(String why) {
    phase = Phase.IDLE;
    attempt++;
    publish(why);
  }

  private void publish(String lastChange) {
    view.set(new View(lease == null ? "none" : lease.getClass().getSimpleName(), phase == Phase.HOLDING,
        phase == Phase.HOLDING ? token : 0, lastChange));
  }
}
