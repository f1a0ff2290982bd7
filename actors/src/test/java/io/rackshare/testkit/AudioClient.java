package io.rackshare.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rackshare.console.AudioSocket;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * A viewer of the station's audio WebSocket ({@code /audio}) with the JDK's WebSocket client: it
 * answers the challenge with {@code password}, keeps the last state the station sent and the PCM
 * that came since, and counts every byte of PCM.
 */
public final class AudioClient implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final WebSocket socket;
  private final Object lock = new Object();
  private JsonNode state;
  private ByteArrayOutputStream pcm = new ByteArrayOutputStream();
  private long pcmBytes;
  private boolean closed;
  private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
  private final StringBuilder text = new StringBuilder();

  private AudioClient(String url, String password) throws Exception {
    boolean[] answered = {false};
    socket = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create(url), new WebSocket.Listener() {
      @Override
      public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
        byte[] b = new byte[data.remaining()];
        data.get(b);
        partial.writeBytes(b);
        if (last) {
          byte[] whole = partial.toByteArray();
          partial.reset();
          if (!answered[0]) {
            answered[0] = true;
            ws.sendBinary(ByteBuffer.wrap(AudioSocket.answer(password, whole)), true);
          } else {
            synchronized (lock) {
              pcm.writeBytes(whole);
              pcmBytes += whole.length;
            }
          }
        }
        ws.request(1);
        return null;
      }

      @Override
      public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
          try {
            JsonNode s = JSON.readTree(text.toString());
            synchronized (lock) {
              state = s;
              pcm = new ByteArrayOutputStream();
            }
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
          text.setLength(0);
        }
        ws.request(1);
        return null;
      }

      @Override
      public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
        synchronized (lock) {
          closed = true;
        }
        return null;
      }

      @Override
      public void onError(WebSocket ws, Throwable error) {
        synchronized (lock) {
          closed = true;
        }
      }
    }).get(20, TimeUnit.SECONDS);
  }

  /** Connects to {@code url} ({@code ws://host:port/audio}). */
  public static AudioClient connect(String url, String password) throws Exception {
    return new AudioClient(url, password);
  }

  /** The last state the station sent (null before the first). */
  public JsonNode state() {
    synchronized (lock) {
      return state;
    }
  }

  /** The PCM received since the last state. */
  public byte[] pcm() {
    synchronized (lock) {
      return pcm.toByteArray();
    }
  }

  /** Every byte of PCM received. */
  public long pcmBytes() {
    synchronized (lock) {
      return pcmBytes;
    }
  }

  public boolean closed() {
    synchronized (lock) {
      return closed;
    }
  }

  @Override
  public void close() {
    CompletableFuture<?> f = socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").toCompletableFuture();
    try {
      f.get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      socket.abort();
    }
  }
}
