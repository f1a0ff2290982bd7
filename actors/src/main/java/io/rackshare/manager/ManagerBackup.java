package io.rackshare.manager;

import com.typesafe.config.ConfigFactory;
import io.rackshare.map.BladeId;
import io.rackshare.smm.SmmHandler;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotProtocol;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.EventsByPersistenceIdQuery;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * The manager's live backup (0086). Every blade runs one; it works out, from the cluster's
 * membership and the nomination policy ({@link Candidates}), who runs the manager and who is next.
 * On the next blade it follows the manager's events as the journal stores them (a persistence
 * query), folds them into the same {@link ManagerState} the manager has, and every {@code
 * snapshot-interval} stores that state as a snapshot of the manager's persistence id, at the
 * sequence number it has reached. When the manager's blade goes, the manager that starts on this
 * blade recovers from that snapshot and replays only the events written after it, not the
 * history.
 *
 * <p>A snapshot from the backup is the manager's own state at that sequence number (the fold is
 * deterministic), so the manager and its backup can both write snapshots without harm. With the
 * in-memory journal there is nothing to follow: the backup is still nominated (and shown) but a
 * manager that starts elsewhere rebuilds the map from the maps the blades report.
 */
public final class ManagerBackup extends AbstractBehavior<ManagerBackup.Command> {

  /**
   * The backup's messages, all private: topology changes (who runs the manager, who is next), its
   * timer, the manager's events as the journal query streams them, the stream's end, and the
   * outcome of each snapshot it stores.
   */
  public sealed interface Command {}

  /**
   * {@code readJournalPlugin}: the persistence query plugin over the manager's journal ("" = none,
   * nothing to follow); {@code snapshotPlugin}: where its snapshots go ("" = none).
   */
  public record Settings(String policy, String readJournalPlugin, String snapshotPlugin, Duration snapshotInterval) {}

  /** Who runs the manager and the backup, in this blade's view, and how far this blade follows. */
  public record View(String policy, List<BladeId> order, Optional<BladeId> manager, Optional<BladeId> backup,
      Map<BladeId, Address> addresses, boolean following, long followedSequenceNr, long snapshotSequenceNr) {
    public static final View NONE = new View("", List.of(), Optional.empty(), Optional.empty(), Map.of(), false, 0, 0);
  }

  private record TopologyChanged(SmmHandler.Topology topology) implements Command {}

  private enum Tick implements Command { INSTANCE }

  private record Followed(long sequenceNr, ManagerEvent event) implements Command {}

  private record StreamEnded(long generation, Throwable failure) implements Command {}

  private record SnapshotSaved(long sequenceNr, Throwable failure) implements Command {}

  public static Behavior<Command> create(BladeId self, ActorRef<SmmHandler.Command> smm, Settings settings,
      AtomicReference<View> view) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.snapshotInterval());
      return new ManagerBackup(ctx, self, smm, settings, view);
    }));
  }

  private final BladeId self;
  private final Settings settings;
  private final AtomicReference<View> view;
  private SmmHandler.Topology topology;
  private ManagerState state = ManagerState.EMPTY;
  private long followed;
  private long snapshotted;
  private boolean saving;
  /** The backup has loaded one of its snapshots back (see {@link #warmRecovery}). */
  private boolean warmed;
  private UniqueKillSwitch stream;
  private long generation;

  private ManagerBackup(ActorContext<Command> ctx, BladeId self, ActorRef<SmmHandler.Command> smm, Settings settings,
      AtomicReference<View> view) {
    super(ctx);
    ctx.setLoggerName(ManagerBackup.class);
    this.self = self;
    this.settings = settings;
    this.view = view;
    smm.tell(new SmmHandler.SubscribeTopology(ctx.messageAdapter(SmmHandler.Topology.class, TopologyChanged::new)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(TopologyChanged.class, t -> {
          topology = t.topology();
          return decide();
        })
        .onMessage(Tick.class, t -> {
          saveSnapshot();
          return decide();
        })
        .onMessage(Followed.class, this::onFollowed)
        .onMessage(StreamEnded.class, this::onStreamEnded)
        .onMessage(SnapshotSaved.class, this::onSaved)
        .onSignal(org.apache.pekko.actor.typed.PostStop.class, s -> {
          stopFollowing();
          return this;
        })
        .build();
  }

  private Behavior<Command> decide() {
    if (topology == null) return this;
    List<BladeId> order = Candidates.order(settings.policy(), topology, Cluster.get(Adapter.toClassic(getContext().getSystem())).state());
    Optional<BladeId> manager = topology.manager().isPresent() ? topology.manager() : order.stream().findFirst();
    Optional<BladeId> backup = order.stream().filter(b -> !manager.equals(Optional.of(b))).findFirst();
    boolean mine = backup.equals(Optional.of(self)) && !settings.readJournalPlugin().isEmpty();
    if (mine && stream == null) startFollowing();
    if (!mine && stream != null) {
      getContext().getLog().info("{} is no longer the manager's backup (manager {}, backup {}); stops following at {}",
          self, manager.map(Object::toString).orElse("?"), backup.map(Object::toString).orElse("none"), followed);
      stopFollowing();
    }
    view.set(new View(settings.policy(), order, manager, backup, topology.addresses(), stream != null, followed,
        snapshotted));
    return this;
  }

  private void startFollowing() {
    getContext().getLog().info("{} is the manager's backup: follows its journal from event {}", self, followed + 1);
    EventsByPersistenceIdQuery query = PersistenceQuery.get(Adapter.toClassic(getContext().getSystem()))
        .getReadJournalFor(EventsByPersistenceIdQuery.class, settings.readJournalPlugin());
    ActorRef<Command> me = getContext().getSelf();
    long gen = ++generation;
    Pair<UniqueKillSwitch, java.util.concurrent.CompletionStage<org.apache.pekko.Done>> run =
        query.eventsByPersistenceId(ResourceManager.PERSISTENCE_ID.id(), followed + 1, Long.MAX_VALUE)
            .viaMat(KillSwitches.single(), Keep.right())
            .toMat(Sink.foreach(e -> me.tell(new Followed(e.sequenceNr(), (ManagerEvent) e.event()))), Keep.both())
            .run(getContext().getSystem());
    stream = run.first();
    run.second().whenComplete((done, failure) -> me.tell(new StreamEnded(gen, failure)));
  }

  private void stopFollowing() {
    if (stream != null) stream.shutdown();
    stream = null;
    generation++;
  }

  private Behavior<Command> onFollowed(Followed f) {
    if (f.sequenceNr() <= followed) return this; // a restarted stream's overlap
    if (f.sequenceNr() != followed + 1) {
      // Events are never deleted from the manager's journal; a gap means a query that skipped one.
      getContext().getLog().warn("backup: event {} after {}; following again from {}", f.sequenceNr(), followed,
          followed + 1);
      stopFollowing();
      return decide();
    }
    state = state.apply(f.event());
    followed = f.sequenceNr();
    return this;
  }

  private Behavior<Command> onStreamEnded(StreamEnded e) {
    if (e.generation() != generation) return this;
    getContext().getLog().warn("backup: following the journal ended ({}); starting again at the next tick",
        e.failure() == null ? "completed" : e.failure().toString());
    stream = null;
    return this;
  }

  private void saveSnapshot() {
    if (stream == null || saving || followed <= snapshotted || settings.snapshotPlugin().isEmpty()) return;
    saving = true;
    long seq = followed;
    org.apache.pekko.actor.ActorRef store = Persistence.get(Adapter.toClassic(getContext().getSystem()))
        .snapshotStoreFor(settings.snapshotPlugin(), ConfigFactory.empty());
    ActorRef<Command> me = getContext().getSelf();
    Patterns.ask(store, new SnapshotProtocol.SaveSnapshot(
            new SnapshotMetadata(ResourceManager.PERSISTENCE_ID.id(), seq, System.currentTimeMillis()), state),
            Duration.ofSeconds(10))
        .whenComplete((reply, failure) -> me.tell(new SnapshotSaved(seq,
            failure != null ? failure
                : reply instanceof org.apache.pekko.persistence.SaveSnapshotFailure f ? f.cause() : null)));
  }

  private Behavior<Command> onSaved(SnapshotSaved s) {
    saving = false;
    if (s.failure() != null) {
      getContext().getLog().warn("backup: snapshot at event {} not stored: {}", s.sequenceNr(), s.failure().toString());
    } else {
      snapshotted = Math.max(snapshotted, s.sequenceNr());
      if (!warmed) {
        warmed = true;
        warmRecovery();
      }
    }
    return this;
  }

  /**
   * Loads the snapshot just stored, once, and drops it: the manager that starts on this blade at a
   * takeover then finds the snapshot store's read path and the state's deserializer warm, where
   * this JVM had only ever written snapshots. Cold, on a machine running 16 blades, the new
   * manager's recovery took 3.7 s of a 5.6 s takeover (docs/benchmarks.md, "Scale").
   */
  private void warmRecovery() {
    org.apache.pekko.actor.ActorRef store = Persistence.get(Adapter.toClassic(getContext().getSystem()))
        .snapshotStoreFor(settings.snapshotPlugin(), ConfigFactory.empty());
    // What it answers does not matter (a failure only means the path stays cold).
    Patterns.ask(store, new SnapshotProtocol.LoadSnapshot(ResourceManager.PERSISTENCE_ID.id(),
        org.apache.pekko.persistence.SnapshotSelectionCriteria.latest(), Long.MAX_VALUE), Duration.ofSeconds(10));
  }
}
