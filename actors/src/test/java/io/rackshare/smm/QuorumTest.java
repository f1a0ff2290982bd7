package io.rackshare.smm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.Address;
import org.junit.jupiter.api.Test;

/** The quorum rule: the Split Brain Resolver's keep-majority, seen from one blade. */
class QuorumTest {

  static Address a(int port) {
    return new Address("pekko", "rackshare", "10.0.0.1", port);
  }

  static final Address A = a(1), B = a(2), C = a(3), D = a(4);

  @Test
  void aMajorityKeepsAndAStrictOneToo() {
    Quorum q = Quorum.count(List.of(A, B, C, D), Set.of(D), B);
    assertTrue(q.kept());
    assertTrue(q.strict());
    assertEquals(3, q.reachable());
    assertEquals(4, q.members());
  }

  @Test
  void aBladeCutOffAloneHasNoneAndSaysWhy() {
    Quorum q = Quorum.count(List.of(A, B, C, D), Set.of(A, B, C), D);
    assertFalse(q.kept());
    assertFalse(q.strict());
    assertEquals("this blade reaches 1 of 4 blades (no majority)", q.reason());
  }

  @Test
  void halvesKeepTheSideWithTheLowestAddressButNeitherIsStrict() {
    Quorum withLowest = Quorum.count(List.of(A, B, C, D), Set.of(C, D), B);
    assertTrue(withLowest.kept());
    assertFalse(withLowest.strict(), "a half may serve, but may not count the other half as fenced");
    Quorum without = Quorum.count(List.of(A, B, C, D), Set.of(A, B), C);
    assertFalse(without.kept());
    assertTrue(without.reason().contains("not the half with the lowest address"), without.reason());
  }

  @Test
  void aBladeThatIsNotACountedMemberHasNone() {
    assertEquals(Quorum.NONE, Quorum.count(List.of(A, B), Set.of(), C));
  }

  @Test
  void aBladeAloneInItsClusterKeepsIt() {
    Quorum q = Quorum.count(List.of(A), Set.of(), A);
    assertTrue(q.kept() && q.strict());
  }

  @Test
  void twoBladesWhereOneDiedKeepOnlyOnTheLowestSide() {
    assertTrue(Quorum.count(List.of(A, B), Set.of(B), A).kept());
    assertFalse(Quorum.count(List.of(A, B), Set.of(A), B).kept());
  }
}
