package io.rackshare.manager;

import io.rackshare.map.BladeId;
import io.rackshare.smm.SmmHandler;
import java.time.Duration;
import java.util.Optional;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocation;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocationStrategy;
import org.apache.pekko.cluster.sharding.external.javadsl.ExternalShardAllocationClient;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.ShardingMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * The lowest-slot nomination (0086): the manager runs on the blade with the lowest slot among
 * the cluster's Up and reachable blades ({@link Candidates#order}, the order the live backup
 * follows too). It is a one-entity Cluster Sharding type whose single shard the blades
 * place, through {@link ExternalShardAllocation}, on the lowest-slot member; when a lower slot
 * joins, sharding hands the shard off (the old manager stops before the new one starts), and when
 * the manager's blade is removed, the next lowest takes it. Every blade runs this actor: each
 * computes the same placement from its view of the cluster and keeps the entity awake.
 */
public final class ManagerNomination {
  private ManagerNomination() {}

  public static final EntityTypeKey<ResourceManager.Command> TYPE =
      EntityTypeKey.create(ResourceManager.Command.class, "rackshare-manager");
  static final String ENTITY = "manager";
  static final String SHARD = "0";
  private static final Duration WAKE_EVERY = Duration.ofSeconds(1);
  private static final Duration SETTLE = Duration.ofSeconds(2);

  private sealed interface Command {}

  private record TopologyChanged(SmmHandler.Topology topology) implements Command {}

  private enum Wake implements Command { INSTANCE }

  /** Starts the sharded manager type and this blade's nominator. */
  public static void init(ActorSystem<?> system, ActorRef<SmmHandler.Command> smm,
      java.util.function.Supplier<Behavior<ResourceManager.Command>> manager) {
    ActorRef<ShardingEnvelope<ResourceManager.Command>> region = ClusterSharding.get(system).init(
        Entity.of(TYPE, ctx -> manager.get())
            .withMessageExtractor(new OneShard())
            .withAllocationStrategy(ExternalShardAllocationStrategy.create(system, TYPE.name(), Duration.ofSeconds(5)))
            .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy()
                .withTuningParameters(ClusterShardingSettings.create(system).tuningParameters()
                    .withRebalanceInterval(Duration.ofSeconds(2)))));
    ExternalShardAllocationClient client = ExternalShardAllocation.get(system).getClient(TYPE.name());
    system.systemActorOf(behavior(smm, region, client), "rackshare-nomination",
        org.apache.pekko.actor.typed.Props.empty());
  }

  private static Behavior<Command> behavior(ActorRef<SmmHandler.Command> smm,
      ActorRef<ShardingEnvelope<ResourceManager.Command>> region, ExternalShardAllocationClient client) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      smm.tell(new SmmHandler.SubscribeTopology(ctx.messageAdapter(SmmHandler.Topology.class, TopologyChanged::new)));
      timers.startTimerWithFixedDelay(Wake.INSTANCE, WAKE_EVERY);
      org.apache.pekko.cluster.Cluster cluster =
          org.apache.pekko.cluster.Cluster.get(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(ctx.getSystem()));
      // The placement is written once this blade's view has been still for a moment, so that a
      // blade that has not met the others yet does not pull the manager to itself at start-up.
      SmmHandler.Topology[] topology = {null};
      Address[] placed = {null};
      Address[] wanted = {null};
      BladeId[] lowestBlade = {null};
      long[] changedAt = {System.nanoTime()};
      return Behaviors.receive(Command.class)
          .onMessage(TopologyChanged.class, t -> {
            topology[0] = t.topology();
            return Behaviors.same();
          })
          .onMessage(Wake.class, w -> {
            // The lowest slot among the Up and reachable blades, the order the live backup uses too.
            Optional<BladeId> blade = topology[0] == null ? Optional.empty()
                : Candidates.order(Candidates.LOWEST_SLOT, topology[0], cluster.state()).stream().findFirst();
            Address target = blade.map(b -> topology[0].addresses().get(b)).orElse(null);
            if (target != null && !target.equals(wanted[0])) {
              wanted[0] = target;
              lowestBlade[0] = blade.get();
              changedAt[0] = System.nanoTime();
            }
            boolean settled = System.nanoTime() - changedAt[0] >= SETTLE.toNanos();
            if (settled && wanted[0] != null && !wanted[0].equals(placed[0])) {
              placed[0] = wanted[0];
              ctx.getLog().info("manager placement: lowest slot {} at {}", lowestBlade[0], placed[0]);
            }
            if (placed[0] != null) client.setShardLocation(SHARD, placed[0]);
            // Starts the entity wherever its shard is now (after a hand-off or a failover).
            region.tell(new ShardingEnvelope<>(ENTITY, new ResourceManager.Wake()));
            return Behaviors.same();
          })
          .build();
    }));
  }

  /** Every entity lives in shard "0": one shard, one manager. */
  private static final class OneShard
      extends ShardingMessageExtractor<ShardingEnvelope<ResourceManager.Command>, ResourceManager.Command> {
    @Override
    public String entityId(ShardingEnvelope<ResourceManager.Command> envelope) {
      return envelope.entityId();
    }

    @Override
    public String shardId(String entityId) {
      return SHARD;
    }

    @Override
    public ResourceManager.Command unwrapMessage(ShardingEnvelope<ResourceManager.Command> envelope) {
      return envelope.message();
    }
  }
}
