package io.rackshare.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.http.javadsl.model.ws.BinaryMessage;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One web viewer's audio WebSocket ({@code /audio} of {@link StationWeb}), behind the station's
 * credential, the same as its console: the station sends a 16-byte challenge and the page answers
 * with VNC authentication's (DES keyed with the password; noVNC's {@code RFB.genDES}), which the
 * station's {@link RfbServer} checks and counts as it counts its own (wrong answers wait a second;
 * five within a minute turn the web face away for the minute). Then the station sends the state of
 * its audio as a text message, JSON {@code {"blade", "rate", "channels", "format", "problem"}}, on
 * every change, and the PCM chunks as binary messages, from the viewer's {@link AudioView.Listener}
 * (a slow viewer loses its oldest chunks). The first message is the answer, the only one: what the
 * page sends after it is read and dropped; it must come within {@link #AUTH_TIMEOUT}.
 */
public final class AudioSocket {
  private static final Logger log = LoggerFactory.getLogger(AudioSocket.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();
  static final Duration AUTH_TIMEOUT = Duration.ofSeconds(10);
  /** Bytes of a page's message that are kept (the answer is 16; the rest is read and dropped). */
  static final int MAX_KEPT = 64;
  /**
   * Wrong answers count against this name, the one key of the station's web face: its console
   * WebSocket reaches the RFB server from loopback too, so guesses over the web share one budget.
   */
  static final String WEB = "the web face";

  private final Materializer materializer;
  private final AudioView view;
  private final RfbServer rfb;

  /** Serves {@code view} to viewers that know {@code rfb}'s password (or its view password). */
  public AudioSocket(ActorSystem<?> system, AudioView view, RfbServer rfb) {
    this.materializer = Materializer.matFromSystem(system);
    this.view = view;
    this.rfb = rfb;
  }

  /** What a page answers to {@code challenge} with {@code password}. */
  public static byte[] answer(String password, byte[] challenge) {
    return RfbServer.vncAuth(password, challenge);
  }

  /** A new connection's flow. */
  Flow<Message, Message, NotUsed> flow() {
    byte[] challenge = new byte[16];
    RANDOM.nextBytes(challenge);
    CompletableFuture<Boolean> admitted = new CompletableFuture<>();
    admitted.completeOnTimeout(false, AUTH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    // One answer per connection: what comes while a wrong one waits out its second is not another guess.
    java.util.concurrent.atomic.AtomicBoolean answered = new java.util.concurrent.atomic.AtomicBoolean();
    Sink<Message, NotUsed> in = Flow.<Message>create()
        .mapAsync(1, this::kept)
        .to(Sink.foreach(bytes -> {
          if (answered.compareAndSet(false, true)) check(challenge, bytes, admitted);
        }))
        .mapMaterializedValue(x -> NotUsed.getInstance());
    Source<Message, NotUsed> out = Source.<Message>single(BinaryMessage.create(ByteString.fromArray(challenge)))
        .concat(Source.completionStage(admitted).flatMapConcat(ok -> ok ? items()
            : Source.single(TextMessage.create("{\"problem\":\"authentication failed\"}"))));
    return Flow.fromSinkAndSourceCoupled(in, out);
  }

  private void check(byte[] challenge, ByteString bytes, CompletableFuture<Boolean> admitted) {
    if (rfb.authenticate(WEB, challenge, bytes.toArray()) != null) {
      admitted.complete(true);
    } else {
      log.warn("console station: a web viewer gave a wrong password for the audio (or too many within a minute)");
      CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS).execute(() -> admitted.complete(false));
    }
  }

  /** The first {@link #MAX_KEPT} bytes of a binary message (empty for text), the whole message read. */
  private java.util.concurrent.CompletionStage<ByteString> kept(Message m) {
    if (m.isText()) {
      return m.asTextMessage().getStreamedText().runWith(Sink.ignore(), materializer).thenApply(d -> ByteString.emptyByteString());
    }
    return m.asBinaryMessage().getStreamedData().runFold(ByteString.emptyByteString(),
        (a, b) -> a.size() >= MAX_KEPT ? a : a.concat(b.take(MAX_KEPT - a.size())), materializer);
  }

  /** The listener's items as messages, until the connection ends. */
  private Source<Message, NotUsed> items() {
    AudioView.Listener listener = view.listen();
    return Source.unfoldAsync(listener, l -> l.next().thenApply(o -> o.map(item -> Pair.create(l, message(item)))))
        .watchTermination(Keep.right())
        .mapMaterializedValue(done -> {
          done.whenComplete((d, e) -> listener.close());
          return NotUsed.getInstance();
        });
  }

  private static Message message(AudioView.Item item) {
    if (item instanceof AudioView.Chunk c) return BinaryMessage.create(ByteString.fromArrayUnsafe(c.pcm()));
    return TextMessage.create(json(((AudioView.StateItem) item).state()));
  }

  /** The state as the page reads it. */
  static String json(AudioView.State s) {
    ObjectNode o = JSON.createObjectNode();
    o.put("blade", s.blade() == null ? null : s.blade().toString());
    if (s.format() != null) {
      o.put("rate", s.format().rate());
      o.put("channels", s.format().channels());
      o.put("format", s.format().format());
    }
    o.put("problem", s.problem());
    return o.toString();
  }
}
