package io.rackshare.manager;

import static io.rackshare.manager.PoolTest.LAYOUTS;
import static io.rackshare.manager.PoolTest.MIB;
import static io.rackshare.manager.PoolTest.ONE_MIB;
import static io.rackshare.manager.PoolTest.blades;
import static io.rackshare.manager.PoolTest.createdReady;
import static io.rackshare.manager.PoolTest.pool;
import static io.rackshare.manager.PoolTest.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.map.Member;
import io.rackshare.map.Move;
import io.rackshare.map.Part;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Draining a blade: the manager's decisions ({@link ManagerState#drain}, {@link ManagerState#drainMoves}). */
class DrainTest {

  static ManagerState applied(ManagerState s, List<ManagerEvent> events) {
    for (ManagerEvent e : events) s = s.apply(e);
    return s;
  }

  static ManagerState drained(ManagerState s, BladeId b) {
    ManagerState.Decision d = s.drain(b, true);
    assertEquals(List.of(), d.problems());
    return applied(s, d.events());
  }

  /** Four blades, a 3-copy mirror on three of them; returns the state and the blade it left free. */
  static ManagerState mirror() {
    return createdReady(pool(blades(1, 1, 4), 16 * MIB), request("m", "raid1", 4 * MIB, 3, 0, 0));
  }

  static BladeId free(ManagerState s) {
    Set<BladeId> used = new java.util.HashSet<>();
    s.map().volumes().get("m").members().forEach(m -> used.add(m.blade()));
    return blades(1, 1, 4).stream().filter(b -> !used.contains(b)).findFirst().orElseThrow();
  }

  @Test
  void aDrainedBladesMemberMovesToTheBladeThatHoldsNoCopyAndTakesItsPlaceOnceCopied() {
    ManagerState s = mirror();
    GlobalResourceDescriptor v = s.map().volumes().get("m");
    BladeId leaving = v.member(1).blade();
    BladeId free = free(s);
    s = drained(s, leaving);
    assertTrue(s.map().draining(leaving));
    assertEquals(0, Pool.space(s, List.of(), ONE_MIB).values().stream()
        .filter(sp -> sp.disk().path().blade().equals(leaving) && sp.online()).count(), "it takes no new extents");

    List<ManagerEvent> moves = s.drainMoves(LAYOUTS, List.of(), ONE_MIB, 2);
    assertEquals(1, moves.size(), moves.toString());
    ManagerEvent.MoveStarted started = assertInstanceOf(ManagerEvent.MoveStarted.class, moves.get(0));
    assertEquals(1, started.position());
    assertEquals(free, started.target().path().blade(), "the only blade that holds no copy");
    assertTrue(started.target().ready(), "the move writes every byte of it");
    s = applied(s, moves);
    assertEquals(List.of(), s.drainMoves(LAYOUTS, List.of(), ONE_MIB, 2), "one move per volume at a time");
    Move move = s.map().volumes().get("m").move(1).orElseThrow();
    DevicePath source = v.member(1).device();

    assertEquals(List.of(), s.moveDone(new ManagerProtocol.MoveDone(free, "m", 1, move.target(), move.since() - 1)),
        "a copy of an earlier move does not count");
    List<ManagerEvent> done = s.moveDone(new ManagerProtocol.MoveDone(free, "m", 1, move.target(), move.since()));
    assertEquals(List.of(new ManagerEvent.MoveCompleted("m", 1, move.target())), done);
    s = applied(s, done);
    GlobalResourceDescriptor after = s.map().volumes().get("m");
    assertEquals(Member.active(move.target(), s.map().epoch()), after.member(1));
    assertTrue(after.moves().isEmpty());
    assertTrue(after.part(source).isEmpty(), "the old part went back to the pool");
    assertEquals(List.of(), s.map().heldBy(leaving), "the blade holds nothing: it may leave");
    assertEquals(List.of(), s.drainMoves(LAYOUTS, List.of(), ONE_MIB, 2));
  }

  @Test
  void aMoveWithNowhereToGoWaitsAndNoTwoCopiesEverShareABlade() {
    ManagerState s = createdReady(pool(blades(1, 1, 3), 16 * MIB), request("m", "raid1", 4 * MIB, 3, 0, 0));
    BladeId leaving = s.map().volumes().get("m").member(0).blade();
    s = drained(s, leaving);
    assertEquals(List.of(), s.drainMoves(LAYOUTS, List.of(), ONE_MIB, 2), "every other blade holds a copy");
    assertEquals(1, s.map().heldBy(leaving).size());
  }

  @Test
  void theMovingMembersLossHandsItsPlaceToTheTargetWhichIsRebuiltFromTheOtherCopies() {
    ManagerState s = mirror();
    BladeId leaving = s.map().volumes().get("m").member(2).blade();
    s = drained(s, leaving);
    s = applied(s, s.drainMoves(LAYOUTS, List.of(), ONE_MIB, 2));
    Move move = s.map().volumes().get("m").move(2).orElseThrow();
    DevicePath source = s.map().volumes().get("m").member(2).device();
    List<ManagerEvent> events = s.bladesLost(Set.of(blades(1, 1, 4).stream().filter(b -> !b.equals(leaving))
        .toArray(BladeId[]::new)), LAYOUTS);
    assertTrue(events.contains(new ManagerEvent.SpareActivated("m", 2, source, move.target())), events.toString());
    s = applied(s, events);
    GlobalResourceDescriptor v = s.map().volumes().get("m");
    assertEquals(new Member(move.target(), Member.State.REBUILDING, v.member(2).since()), v.member(2));
    assertTrue(v.moves().isEmpty());
    assertTrue(v.part(move.target()).isPresent());
    assertTrue(v.part(source).isEmpty());
  }

  @Test
  void aMovingMemberThatLosesItsContentEndsItsMoveAndTheTargetGoesBackToThePool() {
    ManagerState s = mirror();
    BladeId leaving = s.map().volumes().get("m").member(0).blade();
    s = applied(drained(s, leaving), drained(s, leaving).drainMoves(LAYOUTS, List.of(), ONE_MIB, 2));
    Move move = s.map().volumes().get("m").move(0).orElseThrow();
    DevicePath member = s.map().volumes().get("m").member(0).device();
    // Writes treat a member being rebuilt as a copy out of sync: none reaches the target any more.
    s = s.apply(new ManagerEvent.MemberLost("m", 0, member, "memory came back empty"));
    GlobalResourceDescriptor v = s.map().volumes().get("m");
    assertTrue(v.moves().isEmpty(), "the move ends: " + v.moves());
    assertTrue(v.part(move.target()).isEmpty(), "its target's extents are free");
    assertEquals(List.of(), s.moveDone(new ManagerProtocol.MoveDone(move.target().blade(), "m", 0, move.target(),
        move.since())), "a copy finished later does not count");
  }

  @Test
  void theTargetsLossRollsTheMoveBackAndTheDrainTriesAgainWhereItCan() {
    ManagerState s = createdReady(pool(blades(1, 1, 5), 16 * MIB), request("m", "raid1", 4 * MIB, 3, 0, 0));
    BladeId leaving = s.map().volumes().get("m").member(0).blade();
    s = drained(s, leaving);
    s = applied(s, s.drainMoves(LAYOUTS, List.of(), ONE_MIB, 2));
    Move first = s.map().volumes().get("m").move(0).orElseThrow();
    // The target's writes fail: the requester reports it as a failed device.
    ManagerState.Decision d = s.memberFailed(new ManagerProtocol.MemberFailed(leaving, "m", first.target(),
        s.map().epoch(), "I/O error", false), LAYOUTS);
    assertEquals(List.of(new ManagerEvent.MoveEnded("m", 0, first.target(), leaving + ": I/O error")), d.events());
    s = applied(s, d.events());
    GlobalResourceDescriptor v = s.map().volumes().get("m");
    assertTrue(v.moves().isEmpty());
    assertEquals(Member.State.ACTIVE, v.member(0).state(), "the member keeps its place");
    assertTrue(v.part(first.target()).isEmpty(), "the target's extents are free");
    // Its blade leaves: the next move goes to the fifth blade.
    BladeId gone = first.target().blade();
    s = applied(s, s.bladesLost(Set.of(blades(1, 1, 5).stream().filter(b -> !b.equals(gone)).toArray(BladeId[]::new)),
        LAYOUTS));
    List<ManagerEvent> again = s.drainMoves(LAYOUTS, List.of(), ONE_MIB, 2);
    Part target = assertInstanceOf(ManagerEvent.MoveStarted.class, again.get(0)).target();
    assertFalse(target.path().blade().equals(gone) || target.path().blade().equals(leaving));
  }

  @Test
  void anUndrainRollsBackItsMovesAndSparesLeaveADrainedBlade() {
    ManagerState s = createdReady(pool(blades(1, 1, 4), 16 * MIB), request("m", "raid1", 4 * MIB, 2, 0, 1));
    GlobalResourceDescriptor v = s.map().volumes().get("m");
    BladeId spareBlade = v.spares().get(0).blade();
    s = drained(s, spareBlade);
    List<ManagerEvent> events = s.drainMoves(LAYOUTS, List.of(), ONE_MIB, 2);
    ManagerEvent.SpareMoved moved = assertInstanceOf(ManagerEvent.SpareMoved.class, events.get(0));
    assertEquals(v.spares().get(0), moved.spare());
    s = applied(s, events);
    assertEquals(List.of(), s.map().heldBy(spareBlade));

    BladeId leaving = v.member(0).blade();
    s = drained(s, leaving);
    s = applied(s, s.drainMoves(LAYOUTS, List.of(), ONE_MIB, 2));
    Move move = s.map().volumes().get("m").move(0).orElseThrow();
    ManagerState.Decision undrain = s.drain(leaving, false);
    assertTrue(undrain.events().contains(new ManagerEvent.MoveEnded("m", 0, move.target(), leaving
        + " is no longer drained")), undrain.events().toString());
    s = applied(s, undrain.events());
    assertFalse(s.map().draining(leaving));
    assertTrue(s.map().volumes().get("m").moves().isEmpty());
    assertEquals(v.member(0).device(), s.map().volumes().get("m").member(0).device());
    assertEquals(List.of("no such blade"), s.drain(new BladeId(9, 9, 9), true).problems().stream()
        .map(p -> p.substring(p.indexOf(": ") + 2)).toList());
  }

  @Test
  void aDrainSurvivesTheMergeOfStaleMapsAfterAFailover() {
    ManagerState s = drained(mirror(), new BladeId(1, 1, 2));
    GlobalResourceMap stale = GlobalResourceMap.EMPTY.with(new BladeId(1, 1, 2), new io.rackshare.map.Drain(false, 1));
    ManagerState merged = ManagerState.EMPTY.apply(new ManagerEvent.MapAdopted(s.map()))
        .apply(new ManagerEvent.MapAdopted(stale));
    assertTrue(merged.map().draining(new BladeId(1, 1, 2)), "the newer drain wins");
  }

  @Test
  void everyLayoutMovesToATargetAsLargeAsWhatItsMemberHolds() {
    for (String layout : List.of("span", "raid0", "raid5", "raid10")) {
      int copies = layout.equals("raid10") ? 2 : 0;
      ManagerState s = createdReady(pool(blades(1, 1, 5), 16 * MIB), request("v", layout, 6 * MIB, copies,
          layout.equals("raid10") ? 2 : 3, 0));
      GlobalResourceDescriptor v = s.map().volumes().get("v");
      s = drained(s, v.member(0).blade());
      List<ManagerEvent> events = s.drainMoves(LAYOUTS, List.of(), ONE_MIB, 2);
      Part target = assertInstanceOf(ManagerEvent.MoveStarted.class, events.get(0), layout).target();
      long[] range = LAYOUTS.get(layout).moveRange(v, 0);
      assertTrue(target.blocks() * v.blockSize() >= range[1], layout + ": " + target + " holds " + range[1]);
    }
  }
}
