package io.rackshare.persistence;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import org.h2.tools.Server;

/**
 * The embedded default journal: an H2 database served over TCP by a process that outlives the
 * blades of one machine (the demo launcher starts one; {@code rackshare journal-server} runs one
 * on its own). Blades reach it at {@link #url()}.
 */
public final class JournalServer implements AutoCloseable {

  private final Server server;
  private final String url;

  private JournalServer(Server server, String url) {
    this.server = server;
    this.url = url;
  }

  /** Serves databases in {@code dir} on loopback port {@code port} (0: any free one). */
  public static JournalServer start(Path dir, int port) {
    return start(dir, port, null);
  }

  /**
   * As above; with {@code address} (not null), it also takes connections from other hosts and
   * names that address in its URL: for tests whose blades have network stacks of their own.
   */
  public static JournalServer start(Path dir, int port, String address) {
    try {
      Files.createDirectories(dir);
      List<String> args = new java.util.ArrayList<>(List.of("-tcpPort", Integer.toString(port), "-baseDir",
          dir.toAbsolutePath().toString(), "-ifNotExists"));
      if (address != null) args.add("-tcpAllowOthers");
      Server s = Server.createTcpServer(args.toArray(new String[0])).start();
      return new JournalServer(s, "jdbc:h2:tcp://" + (address == null ? "127.0.0.1" : address) + ":" + s.getPort()
          + "/rackshare;DATABASE_TO_UPPER=false");
    } catch (SQLException | java.io.IOException e) {
      throw new IllegalArgumentException("cannot start the journal server in " + dir + " on port " + port + ": "
          + e.getMessage(), e);
    }
  }

  /** The JDBC URL blades use: {@code rackshare.manager.journal.url}. */
  public String url() {
    return url;
  }

  public int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    server.stop();
  }
}
