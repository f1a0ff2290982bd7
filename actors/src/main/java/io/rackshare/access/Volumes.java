package io.rackshare.access;

import io.rackshare.driver.BlockStore;
import io.rackshare.layout.Layouts;
import io.rackshare.manager.ManagerProtocol;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.smm.DataLane;
import io.rackshare.smm.SmmHandler;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * The access path of one blade, assembled: its local copy of the map, the requester side
 * ({@link AccessPath}), the target side on the data lane ({@link BlockTarget}) and the {@link
 * AccessDriver} actor that installs maps. Hands out {@link BlockDevice}s for the volumes.
 */
public final class Volumes {
  private final AtomicReference<GlobalResourceMap> map = new AtomicReference<>(GlobalResourceMap.EMPTY);
  private final AccessPath path;
  private final ActorRef<AccessDriver.Command> driver;
  private final ActorSystem<?> system;
  private final ScheduledExecutorService timer;

  public Volumes(ActorSystem<?> system, BladeId self, Layouts layouts, AccessSettings settings,
      Map<DevicePath, BlockStore> stores, Executor io, DataLane lane, ActorRef<SmmHandler.Command> smm,
      String driverName) {
    this.system = system;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "rackshare-access-retries");
      t.setDaemon(true);
      return t;
    });
    Map<String, Long> lastAsk = new ConcurrentHashMap<>();
    long debounce = settings.resyncDebounce().toNanos();
    BlockTarget.Resync resync = (volume, seenEpoch, reason) -> {
      long now = System.nanoTime();
      Long last = lastAsk.get(volume);
      if (last != null && now - last < debounce) return;
      lastAsk.put(volume, now);
      smm.tell(new SmmHandler.SendToManager(new ManagerProtocol.ResyncRequest(self, volume, seenEpoch, reason)));
    };
    lane.serve(new BlockTarget(self, map::get, layouts, stores, io, resync, lane.buffers()));
    this.path = new AccessPath(self, map::get, layouts, settings, lane, resync, timer);
    this.driver = system.systemActorOf(AccessDriver.create(path, map::set), driverName,
        org.apache.pekko.actor.typed.Props.empty());
  }

  public ActorRef<AccessDriver.Command> driver() {
    return driver;
  }

  public GlobalResourceMap localMap() {
    return map.get();
  }

  public Optional<BlockDevice> volume(String name) {
    return map.get().volume(name).map(d -> device(name));
  }

  public CompletionStage<BlockDevice> await(String name, Duration timeout) {
    return AskPattern.<AccessDriver.Command, GlobalResourceDescriptor>ask(
            driver, r -> new AccessDriver.AwaitVolume(name, r), timeout, system.scheduler())
        .thenApply(d -> device(name));
  }

  private BlockDevice device(String name) {
    return new Volume(name, () -> map.get().volumes().get(name), path);
  }

  public void close() {
    timer.shutdownNow();
  }
}
