package io.rackshare.driver;

import io.rackshare.map.DevicePath;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The resource driver of a disk (804): the actor that owns the disk's {@link BlockStore} in the
 * blade's actor tree, so the device is closed when its blade stops. Requests do not pass through
 * its mailbox: the data lane calls the store directly on I/O threads (an actor hop per 4 KiB
 * request cost more than the I/O itself).
 */
public final class DiskDriver {
  private DiskDriver() {}

  public static Behavior<Void> create(DevicePath path, BlockStore store) {
    return Behaviors.setup(ctx -> {
      ctx.getLog().debug("disk driver for {} ({} bytes)", path, store.size());
      return Behaviors.receive(Void.class)
          .onSignal(PostStop.class, s -> {
            store.close();
            return Behaviors.same();
          })
          .build();
    });
  }
}
