package io.rackshare.access;

import io.rackshare.driver.BlockDriver;
import io.rackshare.layout.Layout;
import io.rackshare.layout.Layouts;
import io.rackshare.manager.ManagerProtocol;
import io.rackshare.map.BladeId;
import io.rackshare.map.DevicePath;
import io.rackshare.map.DeviceSegment;
import io.rackshare.map.GlobalResourceDescriptor;
import io.rackshare.map.GlobalResourceMap;
import io.rackshare.smm.OobMessage;
import io.rackshare.smm.SmmHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The management/access driver (802) of a blade, on both sides of an access (Figure 7):
 *
 * <ul>
 *   <li>As requester it takes read / write / flush at a byte offset of a volume, cuts the range
 *       into device segments with the volume's layout and its local copy of the map (block 704),
 *       sends each to the target blade over the OOB channel, and gathers the answers. A "wrong
 *       target" answer parks the segment until the map is resynchronised, then routes it again.
 *   <li>As target it verifies that a request routed under its map epoch really is for a device
 *       of this blade and a piece of the volume (block 714), and hands it to the device's resource
 *       driver (block 716); otherwise it answers "wrong target" and asks the manager to
 *       resynchronise the maps.
 * </ul>
 */
public final class AccessDriver extends AbstractBehavior<AccessDriver.Command> {

  public sealed interface Command {}

  public record Read(String volume, long offset, int length, ActorRef<IoResult> replyTo)
      implements Command {}

  public record Write(String volume, long offset, byte[] data, boolean fua, ActorRef<IoResult> replyTo)
      implements Command {}

  /** Zeroes {@code length} bytes (NBD WRITE_ZEROES and TRIM). */
  public record WriteZeroes(String volume, long offset, long length, boolean fua, ActorRef<IoResult> replyTo)
      implements Command {}

  public record Flush(String volume, ActorRef<IoResult> replyTo) implements Command {}

  /** The blade stored a new local copy of the global resource map. */
  public record MapInstalled(GlobalResourceMap map) implements Command {}

  /** The resource drivers of this blade's devices. */
  public record LocalDrivers(Map<DevicePath, ActorRef<BlockDriver.Command>> drivers)
      implements Command {}

  /** Answers with the volume's descriptor as soon as the local map has it. */
  public record AwaitVolume(String volume, ActorRef<GlobalResourceDescriptor> replyTo)
      implements Command {}

  /** The single answer to a {@link Read}, {@link Write} or {@link Flush}. */
  public sealed interface IoResult {}

  /** Success; {@code data} holds what was read (empty for writes and flushes). */
  public record Ok(byte[] data) implements IoResult {}

  public record Error(IoError error, String message) implements IoResult {}

  private record FromOob(SmmHandler.Delivery delivery) implements Command {}

  private record Answer(SmmHandler.Response response) implements Command {}

  private enum RetryTick implements Command { INSTANCE }

  private static final byte[] NO_DATA = new byte[0];

  public static Behavior<Command> create(
      BladeId self,
      ActorRef<SmmHandler.Command> smm,
      Layouts layouts,
      AccessSettings settings,
      Consumer<GlobalResourceMap> mapListener) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(
        timers -> new AccessDriver(ctx, timers, self, smm, layouts, settings, mapListener)));
  }

  private enum Kind { READ, WRITE, ZERO, FLUSH }

  /** Largest zeroing one OOB message asks for: the target zeroes it without a payload. */
  private static final int MAX_ZERO_SEGMENT = 64 << 20;

  /** One volume request from a local caller, answered once when all its pieces are done. */
  private static final class Op {
    final Kind kind;
    final String volume;
    final long offset;
    final byte[] buf;
    final boolean fua;
    final ActorRef<IoResult> replyTo;
    int outstanding;
    int parked;
    boolean done;

    Op(Kind kind, String volume, long offset, byte[] buf, boolean fua, ActorRef<IoResult> replyTo) {
      this.kind = kind;
      this.volume = volume;
      this.offset = offset;
      this.buf = buf;
      this.fua = fua;
      this.replyTo = replyTo;
    }
  }

  /** A piece of an op: a volume range (reads, writes) or a device (flushes), and its attempt. */
  private record Piece(Op op, long volumeOffset, int length, DevicePath flushDevice, int attempt) {}

  private record Parked(Piece piece, long epoch, long notBefore) {}

  private final BladeId self;
  private final ActorRef<SmmHandler.Command> smm;
  private final Layouts layouts;
  private final AccessSettings settings;
  private final Consumer<GlobalResourceMap> mapListener;
  private final TimerScheduler<Command> timers;
  private final ActorRef<SmmHandler.Response> answers;
  private final Map<Long, Piece> pieces = new HashMap<>();
  private final List<Parked> parked = new ArrayList<>();
  private final Map<String, List<ActorRef<GlobalResourceDescriptor>>> waiters = new HashMap<>();
  private final Map<String, Long> lastResyncAsk = new HashMap<>();
  private Map<DevicePath, ActorRef<BlockDriver.Command>> drivers = Map.of();
  private GlobalResourceMap map = GlobalResourceMap.EMPTY;
  private long nextTag = 1;

  private AccessDriver(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      BladeId self,
      ActorRef<SmmHandler.Command> smm,
      Layouts layouts,
      AccessSettings settings,
      Consumer<GlobalResourceMap> mapListener) {
    super(ctx);
    this.timers = timers;
    this.self = self;
    this.smm = smm;
    this.layouts = layouts;
    this.settings = settings;
    this.mapListener = mapListener;
    this.answers = ctx.messageAdapter(SmmHandler.Response.class, Answer::new);
    smm.tell(new SmmHandler.RegisterHandler(
        "access-driver",
        m -> m instanceof BlockIo.ReadSegment || m instanceof BlockIo.WriteSegment
            || m instanceof BlockIo.ZeroSegment || m instanceof BlockIo.FlushDevice,
        ctx.messageAdapter(SmmHandler.Delivery.class, FromOob::new)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Read.class, r -> start(new Op(Kind.READ, r.volume(), r.offset(),
            r.length() >= 0 ? new byte[r.length()] : null, false, r.replyTo()), r.length()))
        .onMessage(Write.class, w -> start(new Op(Kind.WRITE, w.volume(), w.offset(), w.data(),
            w.fua(), w.replyTo()), w.data().length))
        .onMessage(WriteZeroes.class, z -> start(new Op(Kind.ZERO, z.volume(), z.offset(), NO_DATA,
            z.fua(), z.replyTo()), z.length()))
        .onMessage(Flush.class, f -> start(new Op(Kind.FLUSH, f.volume(), 0, NO_DATA, false,
            f.replyTo()), 0))
        .onMessage(Answer.class, this::onAnswer)
        .onMessage(FromOob.class, this::onOob)
        .onMessage(MapInstalled.class, this::onMap)
        .onMessage(LocalDrivers.class, d -> {
          drivers = Map.copyOf(d.drivers());
          return this;
        })
        .onMessage(AwaitVolume.class, this::onAwait)
        .onMessageEquals(RetryTick.INSTANCE, this::onRetryTick)
        .build();
  }

  // ---- requester side ------------------------------------------------------------------------

  private Behavior<Command> start(Op op, long length) {
    GlobalResourceDescriptor v = map.volumes().get(op.volume);
    if (v == null) {
      return fail(op, IoError.NO_SUCH_VOLUME, "no volume '" + op.volume + "' in the map");
    }
    if (op.offset < 0 || length < 0) {
      return fail(op, IoError.INVALID, "negative offset or length: " + op.offset + "+" + length);
    }
    if (op.offset + length > v.sizeBytes()) {
      return fail(op, IoError.OUT_OF_RANGE, "range " + op.offset + "+" + length
          + " is past the end of '" + op.volume + "' (" + v.sizeBytes() + " bytes)");
    }
    if (op.kind == Kind.FLUSH) {
      for (DevicePath d : layoutOf(v).devices(v)) send(new Piece(op, 0, 0, d, 0), v);
    } else {
      // Pieces are at most an int long; zeroing may cover more.
      for (long done = 0; done < length; done += Integer.MAX_VALUE) {
        int n = (int) Math.min(Integer.MAX_VALUE, length - done);
        route(new Piece(op, op.offset + done, n, null, 0), v);
      }
    }
    maybeComplete(op);
    return this;
  }

  /** Cuts a piece into device segments on the current map and sends each. */
  private void route(Piece piece, GlobalResourceDescriptor v) {
    Op op = piece.op();
    if (piece.flushDevice() != null) {
      send(piece, v);
      return;
    }
    if (piece.volumeOffset() + piece.length() > v.sizeBytes()) {
      fail(op, IoError.OUT_OF_RANGE, "volume '" + op.volume + "' shrank to " + v.sizeBytes());
      return;
    }
    int max = op.kind == Kind.ZERO ? MAX_ZERO_SEGMENT : settings.maxSegmentBytes();
    for (DeviceSegment s : layoutOf(v).segments(v, piece.volumeOffset(), piece.length())) {
      for (int done = 0; done < s.length(); done += max) {
        int n = Math.min(max, s.length() - done);
        send(new Piece(op, s.volumeOffset() + done, n, null, piece.attempt()),
            v, new DeviceSegment(s.device(), s.deviceOffset() + done, s.volumeOffset() + done, n));
      }
    }
  }

  private void send(Piece piece, GlobalResourceDescriptor v) {
    send(piece, v, null);
  }

  private void send(Piece piece, GlobalResourceDescriptor v, DeviceSegment segment) {
    Op op = piece.op();
    OobMessage message;
    BladeId target;
    if (op.kind == Kind.FLUSH) {
      message = new BlockIo.FlushDevice(v.name(), v.epoch(), piece.flushDevice());
      target = piece.flushDevice().blade();
    } else if (op.kind == Kind.READ) {
      message = new BlockIo.ReadSegment(v.name(), v.epoch(), segment);
      target = segment.blade();
    } else if (op.kind == Kind.ZERO) {
      message = new BlockIo.ZeroSegment(v.name(), v.epoch(), segment, op.fua);
      target = segment.blade();
    } else {
      int from = (int) (segment.volumeOffset() - op.offset);
      byte[] data = from == 0 && segment.length() == op.buf.length
          ? op.buf : Arrays.copyOfRange(op.buf, from, from + segment.length());
      message = new BlockIo.WriteSegment(v.name(), v.epoch(), segment, data, op.fua);
      target = segment.blade();
    }
    long tag = nextTag++;
    pieces.put(tag, piece);
    op.outstanding++;
    smm.tell(new SmmHandler.Request(target, message, tag, answers));
  }

  private Behavior<Command> onAnswer(Answer a) {
    SmmHandler.Response r = a.response();
    Piece piece = pieces.remove(r.tag());
    if (piece == null) return this;
    Op op = piece.op();
    op.outstanding--;
    if (op.done) return this;
    if (r instanceof SmmHandler.Failed f) {
      IoError e = switch (f.failure()) {
        case TIMEOUT -> IoError.TIMEOUT;
        case OVERLOADED -> IoError.OVERLOADED;
        case UNREACHABLE, NO_HANDLER -> IoError.UNAVAILABLE;
      };
      return fail(op, e, f.detail());
    }
    OobMessage m = ((SmmHandler.Answered) r).message();
    if (m instanceof BlockDriver.Data d) {
      System.arraycopy(d.bytes(), 0, op.buf, (int) (piece.volumeOffset() - op.offset), d.bytes().length);
    } else if (m instanceof BlockDriver.IoFailure f) {
      return fail(op, IoError.IO_ERROR, ((SmmHandler.Answered) r).from() + ": " + f.message());
    } else if (m instanceof BlockIo.WrongTarget w) {
      park(piece, w);
    } else if (!(m instanceof BlockDriver.Done)) {
      return fail(op, IoError.IO_ERROR, "unexpected answer " + m.getClass().getSimpleName());
    }
    maybeComplete(op);
    return this;
  }

  private void park(Piece piece, BlockIo.WrongTarget w) {
    Op op = piece.op();
    int attempt = piece.attempt() + 1;
    if (attempt >= settings.maxAttempts()) {
      fail(op, IoError.STALE_MAP, "the maps stayed out of step after " + attempt
          + " attempts; last answer: " + w.reason());
      return;
    }
    long usedEpoch = map.volume(op.volume).map(GlobalResourceDescriptor::epoch).orElse(-1L);
    getContext().getLog().info("{}: wrong target for '{}' at epoch {} ({}); retrying on a resynchronised map",
        self, op.volume, usedEpoch, w.reason());
    askResync(op.volume, usedEpoch, "wrong target: " + w.reason());
    op.parked++;
    long notBefore = System.nanoTime() + settings.retryBackoff().toNanos() * attempt;
    parked.add(new Parked(
        new Piece(op, piece.volumeOffset(), piece.length(), piece.flushDevice(), attempt),
        usedEpoch, notBefore));
    if (!timers.isTimerActive(RetryTick.INSTANCE)) {
      timers.startTimerWithFixedDelay(RetryTick.INSTANCE, settings.retryBackoff().dividedBy(2)
          .plus(Duration.ofMillis(1)));
    }
  }

  private Behavior<Command> onRetryTick() {
    retryParked(false);
    return this;
  }

  /** Routes parked pieces again: those whose map changed, and, unless {@code onlyChanged}, those due. */
  private void retryParked(boolean onlyChanged) {
    long now = System.nanoTime();
    List<Parked> ready = new ArrayList<>();
    for (Iterator<Parked> it = parked.iterator(); it.hasNext(); ) {
      Parked p = it.next();
      long epoch = map.volume(p.piece().op().volume).map(GlobalResourceDescriptor::epoch).orElse(-1L);
      if (epoch != p.epoch() || (!onlyChanged && now - p.notBefore() >= 0)) {
        it.remove();
        ready.add(p);
      }
    }
    if (parked.isEmpty()) timers.cancel(RetryTick.INSTANCE);
    for (Parked p : ready) {
      Op op = p.piece().op();
      op.parked--;
      if (op.done) continue;
      GlobalResourceDescriptor v = map.volumes().get(op.volume);
      if (v == null) {
        fail(op, IoError.NO_SUCH_VOLUME, "volume '" + op.volume + "' left the map");
      } else {
        route(p.piece(), v);
        maybeComplete(op);
      }
    }
  }

  private void maybeComplete(Op op) {
    if (!op.done && op.outstanding == 0 && op.parked == 0) {
      op.done = true;
      op.replyTo.tell(new Ok(op.kind == Kind.READ ? op.buf : NO_DATA));
    }
  }

  private Behavior<Command> fail(Op op, IoError error, String message) {
    if (!op.done) {
      op.done = true;
      op.replyTo.tell(new Error(error, message));
    }
    return this;
  }

  private void askResync(String volume, long seenEpoch, String reason) {
    long now = System.nanoTime();
    Long last = lastResyncAsk.get(volume);
    if (last != null && now - last < settings.resyncDebounce().toNanos()) return;
    lastResyncAsk.put(volume, now);
    smm.tell(new SmmHandler.SendToManager(
        new ManagerProtocol.ResyncRequest(self, volume, seenEpoch, reason)));
  }

  private Layout layoutOf(GlobalResourceDescriptor v) {
    return layouts.get(v.layout());
  }

  // ---- map ------------------------------------------------------------------------------------

  private Behavior<Command> onMap(MapInstalled m) {
    map = m.map();
    mapListener.accept(map);
    for (Iterator<Map.Entry<String, List<ActorRef<GlobalResourceDescriptor>>>> it =
            waiters.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, List<ActorRef<GlobalResourceDescriptor>>> e = it.next();
      GlobalResourceDescriptor v = map.volumes().get(e.getKey());
      if (v != null) {
        e.getValue().forEach(w -> w.tell(v));
        it.remove();
      }
    }
    if (!parked.isEmpty()) retryParked(true);
    return this;
  }

  private Behavior<Command> onAwait(AwaitVolume a) {
    GlobalResourceDescriptor v = map.volumes().get(a.volume());
    if (v != null) a.replyTo().tell(v);
    else waiters.computeIfAbsent(a.volume(), k -> new ArrayList<>()).add(a.replyTo());
    return this;
  }

  // ---- target side: verify, then hand to the resource driver -----------------------------------

  private Behavior<Command> onOob(FromOob f) {
    SmmHandler.Delivery d = f.delivery();
    SmmHandler.Responder responder = d.responder();
    OobMessage m = d.message();
    if (m instanceof BlockIo.ReadSegment r) {
      ActorRef<BlockDriver.Command> driver = verify(r.volume(), r.epoch(), r.segment(), responder);
      if (driver != null) {
        driver.tell(new BlockDriver.Read(r.segment().deviceOffset(), r.segment().length(), responder));
      }
    } else if (m instanceof BlockIo.WriteSegment w) {
      if (w.data().length != w.segment().length()) {
        responder.reply(new BlockDriver.IoFailure("write of " + w.data().length
            + " bytes for a segment of " + w.segment().length()));
        return this;
      }
      ActorRef<BlockDriver.Command> driver = verify(w.volume(), w.epoch(), w.segment(), responder);
      if (driver != null) {
        driver.tell(new BlockDriver.Write(w.segment().deviceOffset(), w.data(), w.fua(), responder));
      }
    } else if (m instanceof BlockIo.ZeroSegment z) {
      ActorRef<BlockDriver.Command> driver = verify(z.volume(), z.epoch(), z.segment(), responder);
      if (driver != null) {
        driver.tell(new BlockDriver.WriteZeroes(z.segment().deviceOffset(), z.segment().length(), z.fua(), responder));
      }
    } else if (m instanceof BlockIo.FlushDevice fl) {
      GlobalResourceDescriptor v = map.volumes().get(fl.volume());
      String wrong = epochMismatch(v, fl.volume(), fl.epoch());
      if (wrong == null && !layoutOf(v).devices(v).contains(fl.device())) {
        wrong = fl.device() + " is not a member of '" + fl.volume() + "'";
      }
      ActorRef<BlockDriver.Command> driver = drivers.get(fl.device());
      if (wrong == null && driver == null) wrong = fl.device() + " is not a device of " + self;
      if (wrong != null) {
        wrongTarget(fl.volume(), v, fl.epoch(), wrong, responder);
      } else {
        driver.tell(new BlockDriver.Flush(responder));
      }
    }
    return this;
  }

  /** The driver for a verified segment, or null after answering "wrong target". */
  private ActorRef<BlockDriver.Command> verify(
      String volume, long epoch, DeviceSegment segment, SmmHandler.Responder responder) {
    GlobalResourceDescriptor v = map.volumes().get(volume);
    String wrong = epochMismatch(v, volume, epoch);
    ActorRef<BlockDriver.Command> driver = drivers.get(segment.device());
    if (wrong == null && driver == null) {
      wrong = segment.device() + " is not a device of " + self;
    }
    if (wrong == null && !layoutOf(v).owns(v, segment)) {
      wrong = "bytes " + segment.volumeOffset() + "+" + segment.length() + " of '" + volume
          + "' are not at " + segment.device() + " offset " + segment.deviceOffset();
    }
    if (wrong != null) {
      wrongTarget(volume, v, epoch, wrong, responder);
      return null;
    }
    return driver;
  }

  private static String epochMismatch(GlobalResourceDescriptor v, String volume, long epoch) {
    if (v == null) return "no volume '" + volume + "' in this blade's map";
    if (v.epoch() != epoch) return "request epoch " + epoch + ", this blade's epoch " + v.epoch();
    return null;
  }

  private void wrongTarget(
      String volume, GlobalResourceDescriptor v, long epoch, String reason,
      SmmHandler.Responder responder) {
    long local = v == null ? -1 : v.epoch();
    responder.reply(new BlockIo.WrongTarget(volume, local, self + ": " + reason));
    // The local maps disagree: have the manager resynchronise them (0081).
    askResync(volume, epoch, reason);
  }
}
