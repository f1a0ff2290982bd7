package io.rackshare.access;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rackshare.io.DirectBufferPool;
import io.rackshare.layout.Layouts;
import io.rackshare.layout.Raid5Layout;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.map.ResourceConfig;
import io.rackshare.map.ResourceDescriptor;
import io.rackshare.map.VolumeSpec;
import io.rackshare.smm.DataLane;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * A stripe's coordinator serves only requests inside the stripe it is asked about: a request
 * whose offset plus length overflows a long is out of it too, and is answered "wrong target"
 * before anything is read or written (no access path or intent log is needed to refuse it).
 */
class StripeRequestsPastTheStripeTest {

  static final BladeId SELF = new BladeId(1, 1, 3);

  @Test
  void aStripeRequestWhoseEndOverflowsIsNotInItsStripe() {
    List<ResourceDescriptor> members = new ArrayList<>();
    for (int slot = 1; slot <= 3; slot++) {
      members.add(new ResourceDescriptor(DevicePath.disk(new BladeId(1, 1, slot), 0),
          new ResourceConfig.Block(4096, 64)));
    }
    VolumeSpec spec = new VolumeSpec("r5", Raid5Layout.NAME, members.stream().map(ResourceDescriptor::path).toList(),
        Map.of());
    GlobalResourceDescriptor v = new Raid5Layout().build(spec, members, List.of(), 1);
    // Stripe 0's parity is on the last member: this blade coordinates it.
    GlobalResourceMap map = new GlobalResourceMap(1, Map.of("r5", v));
    StripeCoordinator coordinator = new StripeCoordinator(SELF, () -> map, Layouts.of(new Raid5Layout()), null, null,
        (volume, epoch, reason) -> { }, null, new DirectBufferPool(1 << 20, 2));
    long offset = Long.MAX_VALUE - 50;
    List<Executable> all = new ArrayList<>();
    for (byte type : new byte[] {BlockFrames.STRIPE_WRITE, BlockFrames.STRIPE_READ, BlockFrames.STRIPE_REBUILD}) {
      all.add(() -> {
        DataLane.Frame reply = coordinator.handle(new BladeId(1, 1, 1),
                BlockFrames.stripe(type, "r5", 1, 0, offset, 101, 0, false, true, null))
            .toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertEquals(BlockFrames.WRONG_TARGET, reply.type(), "type " + type + ": " + BlockFrames.message(reply));
        assertTrue(BlockFrames.message(reply).contains(Long.toString(offset)), BlockFrames.message(reply));
      });
    }
    assertAll(all);
  }
}
