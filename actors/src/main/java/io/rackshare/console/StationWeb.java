package io.rackshare.console;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.ws.BinaryMessage;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;

/**
 * The station's web face (Pekko HTTP): RFB over WebSocket at {@code /websockify}, so that a
 * browser viewer (noVNC) connects directly, and a viewer page at {@code /} that loads noVNC from
 * {@code novncUrl} (served from {@code novncDir} under {@code /novnc/} when that is set). The
 * WebSocket carries the same bytes as the TCP port, authentication included: each connection is
 * bridged to the station's RFB server on loopback.
 */
public final class StationWeb extends AllDirectives {

  private final ActorSystem<?> system;
  private final InetSocketAddress rfb;
  private final Path novncDir;
  private final String page;

  private StationWeb(ActorSystem<?> system, InetSocketAddress rfb, Path novncDir, String novncUrl) {
    this.system = system;
    this.rfb = rfb;
    this.novncDir = novncDir;
    try (InputStream in = StationWeb.class.getResourceAsStream("viewer.html")) {
      this.page = new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("@NOVNC_URL@", novncUrl);
    } catch (IOException e) {
      throw new IllegalStateException("the viewer page is missing", e);
    }
  }

  public static CompletionStage<ServerBinding> start(ActorSystem<?> system, String hostname, int port,
      InetSocketAddress rfb, Path novncDir, String novncUrl) {
    return Http.get(system).newServerAt(hostname, port).bind(new StationWeb(system, rfb, novncDir, novncUrl).routes());
  }

  Route routes() {
    Route files = novncDir == null ? reject() : pathPrefix("novnc", () -> getFromDirectory(novncDir.toString()));
    return concat(
        path("websockify", () -> handleWebSocketMessages(bridge())),
        pathSingleSlash(() -> get(() -> complete(HttpEntities.create(ContentTypes.TEXT_HTML_UTF8, page)))),
        files);
  }

  /** Binary WebSocket messages to and from a TCP connection to the RFB server. */
  private Flow<Message, Message, NotUsed> bridge() {
    return Flow.<Message>create()
        .flatMapConcat(m -> m.isText()
            ? Source.<org.apache.pekko.util.ByteString>empty().mapMaterializedValue(x -> (Object) x)
            : m.asBinaryMessage().getStreamedData().mapMaterializedValue(x -> (Object) x))
        .via(Tcp.get(system).outgoingConnection(rfb.getHostString(), rfb.getPort()))
        .map(bytes -> (Message) BinaryMessage.create(bytes));
  }
}
