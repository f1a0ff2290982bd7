package io.rackshare.example.log;

import io.rackshare.Rackshare;
import io.rackshare.access.BlockDevice;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;

/**
 * The one writer of the log: a Cluster Singleton ({@link LogService} starts it). It waits for
 * the volume on its blade, recovers the log from it ({@link LogRecovery}), then appends: the
 * records waiting are written together in one write with FUA, and each is acknowledged with its
 * sequence number once that write completed. Reads go through it too (it knows where records
 * lie). When a write fails, the records of that write and those waiting are refused, and the
 * writer starts again (with backoff) from recovery: what reached the volume is then part of the
 * log, what did not is not, and a refused client may retry (and may so duplicate a record).
 */
public final class LogWriter {

  /** What the writer is asked. */
  public sealed interface Command extends JsonSerializable
      permits Append, Read, GetStatus, VolumeServed, VolumeNotServedYet, Recovered, Written, Failed {}

  /** Append {@code payload}; answered {@link Appended} once it is on the volume, or {@link Refused}. */
  public record Append(byte[] payload, ActorRef<AppendResult> replyTo) implements Command {}

  /** Records from {@code from}, at most {@code max}; answered {@link Records} or {@link ReadFailed}. */
  public record Read(long from, int max, ActorRef<ReadResult> replyTo) implements Command {}

  /** Where the writer runs and how far the log goes; answered {@link Status}. */
  public record GetStatus(ActorRef<Status> replyTo) implements Command {}

  /** The answer to an {@link Append}. */
  public sealed interface AppendResult extends JsonSerializable permits Appended, Refused {}

  /** The record is on the volume with sequence number {@code seq}. */
  public record Appended(long seq) implements AppendResult {}

  /** The record was not appended (or may not have been), for {@code reason}: retry. */
  public record Refused(String reason) implements AppendResult {}

  /** The answer to a {@link Read}. */
  public sealed interface ReadResult extends JsonSerializable permits Records, ReadFailed {}

  /** Records {@code from} on, and {@code next}, where to go on from; {@code count} records exist. */
  public record Records(List<LogRecord> records, long next, long count) implements ReadResult {}

  /** The read failed for {@code reason}. */
  public record ReadFailed(String reason) implements ReadResult {}

  /** The writer runs on {@code blade}; {@code ready} once recovered, with {@code count} records. */
  public record Status(String blade, boolean ready, long count) implements JsonSerializable {}

  private record VolumeServed(BlockDevice device) implements Command {}

  private record VolumeNotServedYet(Throwable cause) implements Command {}

  private record Recovered(LogIndex index) implements Command {}

  private record Written(List<Append> batch, List<Integer> sizes) implements Command {}

  private record Failed(String what, Throwable cause, List<Append> inFlight) implements Command {}

  /** The writer's behavior, restarted with backoff (from recovery) when it fails. */
  public static Behavior<Command> create(LogServiceSettings settings) {
    return Behaviors.supervise(Behaviors.<Command>setup(context -> Behaviors.<Command>withStash(settings.maxPending(),
            stash -> new LogWriter(context, stash, settings).awaitingVolume())))
        .onFailure(SupervisorStrategy.restartWithBackoff(java.time.Duration.ofMillis(200),
            java.time.Duration.ofSeconds(5), 0.2));
  }

  private final ActorContext<Command> context;
  private final StashBuffer<Command> stash;
  private final LogServiceSettings settings;
  private final String blade;
  private final ArrayDeque<Append> waiting = new ArrayDeque<>();
  private BlockDevice device;
  private LogIndex index;
  private boolean writing;

  private LogWriter(ActorContext<Command> context, StashBuffer<Command> stash, LogServiceSettings settings) {
    this.context = context;
    this.stash = stash;
    this.settings = settings;
    this.blade = Rackshare.get(context.getSystem()).settings().blade().toString();
    context.setLoggerName(LogWriter.class);
    awaitVolume();
  }

  /** Asks this blade's Rackshare runtime for the volume (it may not be served yet while the cluster starts). */
  private void awaitVolume() {
    context.pipeToSelf(Rackshare.get(context.getSystem()).awaitVolume(settings.volume(), settings.volumeTimeout()),
        (d, e) -> e == null ? new VolumeServed(d) : new VolumeNotServedYet(e));
  }

  /** Until the log is recovered: appends and reads wait in the stash (bounded). */
  private Behavior<Command> awaitingVolume() {
    return Behaviors.receive(Command.class)
        .onMessage(VolumeServed.class, this::onVolumeServed)
        .onMessage(VolumeNotServedYet.class, notYet -> {
          context.getLog().info("LOG-WRITER blade={} still waits for volume {}: {}", blade, settings.volume(),
              String.valueOf(notYet.cause()));
          awaitVolume();
          return Behaviors.same();
        })
        .onMessage(Recovered.class, this::onRecovered)
        .onMessage(Failed.class, this::onFailed)
        .onMessage(GetStatus.class, g -> {
          g.replyTo().tell(new Status(blade, false, 0));
          return Behaviors.same();
        })
        .onAnyMessage(this::stashOrRefuse)
        .build();
  }

  private Behavior<Command> onVolumeServed(VolumeServed served) {
    device = served.device();
    Executor blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
    LogRecovery recovery = new LogRecovery(device, settings.volumeTimeout());
    context.pipeToSelf(CompletableFuture.supplyAsync(() -> {
      try {
        return recovery.recover();
      } catch (Exception e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    }, blocking), (i, e) -> e == null ? new Recovered(i) : new Failed("recovering the log", e, List.of()));
    return Behaviors.same();
  }

  private Behavior<Command> onRecovered(Recovered recovered) {
    index = recovered.index();
    context.getLog().info("LOG-WRITER RECOVERED blade={} volume={} records={} end={}", blade, settings.volume(),
        index.count(), index.end());
    return stash.unstashAll(ready());
  }

  private Behavior<Command> stashOrRefuse(Command command) {
    if (!stash.isFull()) {
      stash.stash(command);
    } else if (command instanceof Append a) {
      a.replyTo().tell(new Refused("the log is recovering and " + settings.maxPending() + " appends wait: retry"));
    } else if (command instanceof Read r) {
      r.replyTo().tell(new ReadFailed("the log is recovering: retry"));
    }
    return Behaviors.same();
  }

  /** The log is recovered: appends are written in batches, one write at a time. */
  private Behavior<Command> ready() {
    return Behaviors.receive(Command.class)
        .onMessage(Append.class, this::onAppend)
        .onMessage(Written.class, this::onWritten)
        .onMessage(Read.class, this::onRead)
        .onMessage(GetStatus.class, g -> {
          g.replyTo().tell(new Status(blade, true, index.count()));
          return Behaviors.same();
        })
        .onMessage(Failed.class, this::onFailed)
        .build();
  }

  private Behavior<Command> onAppend(Append append) {
    if (append.payload().length == 0 || append.payload().length > settings.maxRecordSize()) {
      append.replyTo().tell(new Refused("a record has 1 to " + settings.maxRecordSize() + " bytes"));
    } else if (waiting.size() >= settings.maxPending()) {
      append.replyTo().tell(new Refused(settings.maxPending() + " appends wait already: retry later"));
    } else {
      waiting.add(append);
      if (!writing) writeWaiting();
    }
    return Behaviors.same();
  }

  /** Writes the waiting records (up to max-batch-bytes) at the log's end, in one write with FUA. */
  private void writeWaiting() {
    List<Append> batch = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    List<byte[]> blocks = new ArrayList<>();
    int bytes = 0;
    while (!waiting.isEmpty() && bytes + RecordFormat.size(waiting.peek().payload().length) <= settings.maxBatchBytes()) {
      Append a = waiting.poll();
      byte[] encoded = RecordFormat.encode(new LogRecord(index.count() + batch.size(), a.payload()));
      if (index.end() + bytes + encoded.length > device.size()) {
        a.replyTo().tell(new Refused("the volume is full"));
        continue;
      }
      batch.add(a);
      sizes.add(encoded.length);
      blocks.add(encoded);
      bytes += encoded.length;
    }
    if (batch.isEmpty()) return;
    ByteBuffer data = ByteBuffer.allocate(bytes);
    blocks.forEach(data::put);
    data.flip();
    writing = true;
    context.pipeToSelf(device.write(index.end(), data, true),
        (ok, e) -> e == null ? new Written(batch, sizes) : new Failed("writing " + batch.size() + " records", e, batch));
  }

  private Behavior<Command> onWritten(Written written) {
    writing = false;
    for (int i = 0; i < written.batch().size(); i++) {
      long seq = index.count();
      index.add(written.sizes().get(i));
      written.batch().get(i).replyTo().tell(new Appended(seq));
    }
    if (!waiting.isEmpty()) writeWaiting();
    return Behaviors.same();
  }

  private Behavior<Command> onRead(Read read) {
    long count = index.count();
    long from = Math.min(Math.max(read.from(), 0), count);
    long to = Math.min(count, from + Math.max(1, Math.min(read.max(), settings.maxReadRecords())));
    // At most about 1 MiB (and at least one record) per read.
    while (to > from + 1 && index.offset(to) - index.offset(from) > (1 << 20)) to--;
    long start = index.offset(from);
    int length = (int) (index.offset(to) - start);
    long[] offsets = new long[(int) (to - from)];
    for (int i = 0; i < offsets.length; i++) offsets[i] = index.offset(from + i) - start;
    long first = from;
    long next = to;
    if (length == 0) {
      read.replyTo().tell(new Records(List.of(), next, count));
      return Behaviors.same();
    }
    device.read(start, length).whenComplete((bytes, e) -> {
      if (e != null) {
        read.replyTo().tell(new ReadFailed("reading the volume failed: " + e.getMessage()));
        return;
      }
      ByteBuffer b = ByteBuffer.wrap(bytes);
      List<LogRecord> records = new ArrayList<>(offsets.length);
      for (int i = 0; i < offsets.length; i++) {
        java.util.Optional<LogRecord> r = RecordFormat.decode(b, (int) offsets[i], first + i);
        if (r.isEmpty()) {
          read.replyTo().tell(new ReadFailed("record " + (first + i) + " does not read back valid"));
          return;
        }
        records.add(r.get());
      }
      read.replyTo().tell(new Records(records, next, count));
    });
    return Behaviors.same();
  }

  /** A failure of the volume: refuse what waits, and start again from recovery. */
  private Behavior<Command> onFailed(Failed failed) {
    context.getLog().warn("LOG-WRITER FAILED blade={} {}: {}", blade, failed.what(), String.valueOf(failed.cause()));
    String reason = failed.what() + " failed; the writer recovers the log: retry";
    failed.inFlight().forEach(a -> a.replyTo().tell(new Refused(reason)));
    waiting.forEach(a -> a.replyTo().tell(new Refused(reason)));
    waiting.clear();
    stash.forEach(c -> {
      if (c instanceof Append a) a.replyTo().tell(new Refused(reason));
      if (c instanceof Read r) r.replyTo().tell(new ReadFailed(reason));
    });
    throw new IllegalStateException(failed.what() + " failed", failed.cause());
  }
}
