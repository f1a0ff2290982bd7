package io.rackshare.smm;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;

/**
 * Whether this blade's side of the cluster may have a manager, from its own view of membership
 * and reachability: the members that count (Up, Leaving, Exiting: the ones the Split Brain
 * Resolver decides about), how many of them this blade can reach (itself included, if it is one of
 * them), and two verdicts.
 *
 * <ul>
 *   <li>{@link #kept}: the side the Split Brain Resolver's keep-majority would keep: more than half
 *       reachable, or exactly half with the member of the lowest address. A blade serves I/O and
 *       may run the manager only while this holds.
 *   <li>{@link #strict}: more than half reachable. A manager decides that an unreachable blade is
 *       fenced (it has stopped serving) only with a strict majority: in a cut into halves neither
 *       side does.
 * </ul>
 *
 * Pure: computed from a snapshot of the cluster state, so every rule that uses it can be tested
 * without a cluster.
 */
public record Quorum(int members, int reachable, boolean kept, boolean strict, String reason) {

  /** Before this blade is an Up member of a cluster. */
  public static final Quorum NONE = new Quorum(0, 0, false, false, "this blade is not an Up member of the cluster (not yet, or no longer)");

  /** A blade alone, for tests and single-blade embeddings. */
  public static final Quorum ALONE = new Quorum(1, 1, true, true, "");

  public static Quorum of(ClusterEvent.CurrentClusterState state, Address self) {
    Set<Address> unreachable = new java.util.HashSet<>();
    state.getUnreachable().forEach(m -> unreachable.add(m.address()));
    return of(state.getMembers(), unreachable, self);
  }

  /** From {@code all} members and the addresses of those the failure detector suspects. */
  public static Quorum of(Iterable<Member> all, Set<Address> unreachable, Address self) {
    List<Address> counted = new ArrayList<>();
    for (Member m : all) {
      MemberStatus s = m.status();
      if (s == MemberStatus.up() || s == MemberStatus.leaving() || s == MemberStatus.exiting()) {
        counted.add(m.address());
      }
    }
    return count(counted, unreachable, self);
  }

  /**
   * The rule itself: {@code counted} are the members whose status counts (Up, Leaving,
   * Exiting), {@code unreachable} those the failure detector suspects.
   */
  static Quorum count(List<Address> counted, Set<Address> unreachable, Address self) {
    if (!counted.contains(self)) return NONE;
    int reachable = 0;
    Address lowest = null;
    for (Address a : counted) {
      if (!unreachable.contains(a)) reachable++;
      if (lowest == null || Member.addressOrdering().compare(a, lowest) < 0) lowest = a;
    }
    int n = counted.size();
    boolean strict = 2 * reachable > n;
    boolean kept = strict || (2 * reachable == n && !unreachable.contains(lowest));
    String reason = kept ? ""
        : "this blade reaches " + reachable + " of " + n + " blades (no majority"
            + (2 * reachable == n ? ", and not the half with the lowest address" : "") + ")";
    return new Quorum(n, reachable, kept, strict, reason);
  }
}
