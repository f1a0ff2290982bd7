package io.rackshare.example.log;

import com.typesafe.config.Config;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The {@code log-service} section of the configuration (see {@code reference.conf}).
 *
 * @param volume the global volume the log lives on
 * @param maxRecordSize the largest record accepted, in bytes
 * @param maxPending how many appends may wait for the writer; more are refused (503)
 * @param maxBatchBytes how many bytes of waiting records the writer writes at once
 * @param maxReadRecords how many records one read returns at most
 * @param askTimeout how long the HTTP endpoint waits for the writer
 * @param volumeTimeout how long the writer waits for the volume to be served, and for one I/O
 * @param httpInterface where the HTTP API listens
 * @param httpPort its port (0: any free one; it is logged)
 * @param token the bearer token the API requires, if any
 */
public record LogServiceSettings(String volume, int maxRecordSize, int maxPending, int maxBatchBytes,
    int maxReadRecords, Duration askTimeout, Duration volumeTimeout, String httpInterface, int httpPort,
    Optional<String> token) {

  /** Checks the limits, and that an API reachable beyond loopback requires a token. */
  public LogServiceSettings {
    if (volume.isBlank()) throw new IllegalArgumentException("log-service.volume is empty");
    if (maxRecordSize < 1 || maxRecordSize > RecordFormat.MAX_PAYLOAD) {
      throw new IllegalArgumentException("log-service.max-record-size must be 1 B to 1 MiB, got " + maxRecordSize);
    }
    if (maxPending < 1) throw new IllegalArgumentException("log-service.max-pending must be at least 1");
    if (maxBatchBytes < RecordFormat.size(maxRecordSize) || maxBatchBytes > RecordFormat.MAX_WRITE) {
      throw new IllegalArgumentException("log-service.max-batch-bytes must hold the largest record ("
          + RecordFormat.size(maxRecordSize) + " bytes) and be at most 2 MiB");
    }
    if (maxReadRecords < 1) throw new IllegalArgumentException("log-service.max-read-records must be at least 1");
    if (token.isEmpty() && !loopback(httpInterface)) {
      throw new IllegalArgumentException("log-service.http.interface = " + httpInterface + " is reachable beyond "
          + "this host: set log-service.http.token-file to a file holding the bearer token clients must send");
    }
  }

  /** Reads {@code config}'s {@code log-service} section. */
  public static LogServiceSettings fromConfig(Config config) {
    Config c = config.getConfig("log-service");
    String tokenFile = c.getString("http.token-file");
    return new LogServiceSettings(c.getString("volume"), (int) c.getBytes("max-record-size").longValue(),
        c.getInt("max-pending"), (int) c.getBytes("max-batch-bytes").longValue(), c.getInt("max-read-records"),
        c.getDuration("ask-timeout"), c.getDuration("volume-timeout"), c.getString("http.interface"),
        c.getInt("http.port"), tokenFile.isEmpty() ? Optional.empty() : Optional.of(readToken(Path.of(tokenFile))));
  }

  private static String readToken(Path file) {
    try {
      String token = Files.readString(file).trim();
      if (token.length() < 16) {
        throw new IllegalArgumentException("log-service.http.token-file: the token in " + file
            + " is shorter than 16 characters");
      }
      return token;
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("log-service.http.token-file: cannot read " + file + ": " + e.getMessage());
    }
  }

  /** Whether {@code host} names a loopback address only. */
  static boolean loopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("log-service.http.interface: unknown host " + host);
    }
  }

  @Override
  public String toString() {
    return "LogServiceSettings[volume=" + volume + ", http=" + httpInterface + ":" + httpPort + ", token="
        + (token.isPresent() ? "set" : "none") + "]";
  }
}
