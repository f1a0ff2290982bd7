package io.rackshare.access;

import io.rackshare.map.GlobalResourceDescriptor;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/** The {@link BlockDevice} of one volume, backed by this blade's {@link AccessDriver}. */
final class Volume implements BlockDevice {
  private final String name;
  private final Supplier<GlobalResourceDescriptor> descriptor;
  private final ActorRef<AccessDriver.Command> access;
  private final ActorSystem<?> system;
  private final Duration timeout;

  Volume(
      String name,
      Supplier<GlobalResourceDescriptor> descriptor,
      ActorRef<AccessDriver.Command> access,
      ActorSystem<?> system,
      Duration timeout) {
    this.name = name;
    this.descriptor = descriptor;
    this.access = access;
    this.system = system;
    this.timeout = timeout;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public long size() {
    GlobalResourceDescriptor d = descriptor.get();
    return d == null ? 0 : d.sizeBytes();
  }

  @Override
  public int blockSize() {
    GlobalResourceDescriptor d = descriptor.get();
    return d == null ? 0 : d.blockSize();
  }

  @Override
  public CompletionStage<byte[]> read(long offset, int length) {
    return ask(r -> new AccessDriver.Read(name, offset, length, r)).thenApply(ok -> ok.data());
  }

  @Override
  public CompletionStage<Void> write(long offset, byte[] data, boolean fua) {
    return ask(r -> new AccessDriver.Write(name, offset, data, fua, r)).thenApply(ok -> null);
  }

  @Override
  public CompletionStage<Void> writeZeroes(long offset, long length, boolean fua) {
    return ask(r -> new AccessDriver.WriteZeroes(name, offset, length, fua, r)).thenApply(ok -> null);
  }

  @Override
  public CompletionStage<Void> flush() {
    return ask(r -> new AccessDriver.Flush(name, r)).thenApply(ok -> null);
  }

  private CompletionStage<AccessDriver.Ok> ask(
      Function<ActorRef<AccessDriver.IoResult>, AccessDriver.Command> request) {
    return AskPattern.<AccessDriver.Command, AccessDriver.IoResult>ask(
            access, request::apply, timeout, system.scheduler())
        .handle((r, t) -> {
          if (t != null) {
            // Only the ask's own time-out gets here: the access driver answers everything else.
            throw new BlockDeviceException(IoError.TIMEOUT,
                "no answer from the access driver within " + timeout + " (" + t + ")");
          }
          if (r instanceof AccessDriver.Ok ok) return ok;
          AccessDriver.Error e = (AccessDriver.Error) r;
          throw new BlockDeviceException(e.error(), e.message());
        });
  }

  @Override
  public String toString() {
    return "BlockDevice(" + name + ", " + size() + " bytes)";
  }
}
