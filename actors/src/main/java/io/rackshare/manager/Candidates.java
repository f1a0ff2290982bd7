package io.rackshare.manager;

import io.rackshare.map.BladeId;
import io.rackshare.smm.SmmHandler;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;

/**
 * The order in which blades are nominated to run the manager (0086), from the cluster's Up and
 * reachable members: by slot ({@code lowest-slot}) or by the order they joined ({@code first-in},
 * the order Cluster Singleton uses: oldest first). The first runs the manager, the next the live
 * backup.
 */
public final class Candidates {
  private Candidates() {}

  public static final String LOWEST_SLOT = "lowest-slot";
  public static final String FIRST_IN = "first-in";

  /**
   * The Up members of {@code cluster} in nomination order, leaving out those the failure detector
   * suspects unless {@code withUnreachable}; empty if one of them has not greeted this blade yet
   * (its blade is unknown, so the order is not known either).
   */
  public static java.util.Optional<List<BladeId>> complete(String policy, SmmHandler.Topology topology,
      ClusterEvent.CurrentClusterState cluster, boolean withUnreachable) {
    Map<Address, BladeId> byAddress = new HashMap<>();
    topology.addresses().forEach((blade, address) -> byAddress.put(address, blade));
    Set<Member> unreachable = cluster.getUnreachable();
    List<Member> up = new ArrayList<>();
    for (Member m : cluster.getMembers()) {
      if (m.status() != MemberStatus.up() || (!withUnreachable && unreachable.contains(m))) continue;
      if (!byAddress.containsKey(m.address())) return java.util.Optional.empty();
      // Suspected in this blade's own view, or known dead by its lane, before the cluster agrees.
      if (!withUnreachable && topology.unreachable().contains(byAddress.get(m.address()))) continue;
      up.add(m);
    }
    return java.util.Optional.of(sorted(policy, up, byAddress));
  }

  /** The blades of {@code topology} that are Up and reachable in {@code cluster}, in nomination order. */
  public static List<BladeId> order(String policy, SmmHandler.Topology topology, ClusterEvent.CurrentClusterState cluster) {
    Map<Address, BladeId> byAddress = new HashMap<>();
    topology.addresses().forEach((blade, address) -> byAddress.put(address, blade));
    Set<Member> unreachable = cluster.getUnreachable();
    List<Member> up = new ArrayList<>();
    for (Member m : cluster.getMembers()) {
      if (m.status() == MemberStatus.up() && !unreachable.contains(m) && byAddress.containsKey(m.address())) {
        up.add(m);
      }
    }
    return sorted(policy, up, byAddress);
  }

  private static List<BladeId> sorted(String policy, List<Member> up, Map<Address, BladeId> byAddress) {
    if (policy.equals(FIRST_IN)) {
      up.sort((a, b) -> a.isOlderThan(b) ? -1 : b.isOlderThan(a) ? 1 : 0);
      return up.stream().map(m -> byAddress.get(m.address())).toList();
    }
    return up.stream().map(m -> byAddress.get(m.address())).sorted().collect(Collectors.toList());
  }
}
