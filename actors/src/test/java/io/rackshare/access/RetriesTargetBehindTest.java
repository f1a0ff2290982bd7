package io.rackshare.access;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * A wrong-target answer from a target whose map is older than the request's (found in CI: a volume
 * grown while written, one blade still preparing its parts three epochs behind) is the target
 * catching up: retries wait for it rather than give up after max-attempts rounds.
 */
class RetriesTargetBehindTest {

  @Test
  void aTargetBehindTheRequestsEpochIsCatchingUp() {
    assertTrue(Retries.targetBehind("request epoch 16, this blade's epoch 13"));
    assertTrue(Retries.targetBehind("Rack(1)/Chassis(1)/Blade(3): request epoch 16, this blade's epoch 13"));
    assertFalse(Retries.targetBehind("request epoch 13, this blade's epoch 16"), "the requester is behind");
    assertFalse(Retries.targetBehind("Rack(1)/Chassis(1)/Blade(3) does not hold that part"));
  }
}
