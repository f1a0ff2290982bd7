package io.rackshare.persistence;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.List;
import org.h2.tools.Server;

/**
 * The embedded default journal: an H2 database served over TCP by a process that outlives the
 * blades of one machine (the demo launcher starts one; {@code rackshare journal-server} runs one
 * on its own). Blades reach it at {@link #url()} as {@link #user()} with {@link #password()}
 * ({@link #hocon()} says all three as blade configuration).
 *
 * <p>Closed to outsiders (docs/SECURITY.md): the database is made here, with a random password
 * kept in {@code credentials} (mode 0600) beside it, before the server starts; the server does not
 * create databases for its clients (no {@code -ifNotExists}), so nobody can open one of their own
 * to run SQL (H2's {@code CREATE ALIAS} runs Java) in this JVM. It takes only local connections
 * unless an address is given; {@link #loopbackOnly()} also binds it to loopback.
 */
public final class JournalServer implements AutoCloseable {

  public static final String USER = "rackshare";
  static final String DATABASE = "rackshare";

  private final Server server;
  private final String url;
  private final String password;
  private final Path credentials;

  private JournalServer(Server server, String url, String password, Path credentials) {
    this.server = server;
    this.url = url;
    this.password = password;
    this.credentials = credentials;
  }

  /**
   * Binds every H2 server this JVM starts from now on to 127.0.0.1 (H2 reads it once: call it
   * before any H2 class is used, as the command-line entry points do).
   */
  public static void loopbackOnly() {
    System.setProperty("h2.bindAddress", "127.0.0.1");
  }

  /** Serves the journal database in {@code dir} on loopback port {@code port} (0: any free one). */
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
      // The database files and the credentials are the owner's alone.
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      String password = credentials(dir);
      create(dir, password);
      List<String> args = new java.util.ArrayList<>(List.of("-tcpPort", Integer.toString(port), "-baseDir",
          dir.toAbsolutePath().toString()));
      if (address != null) args.add("-tcpAllowOthers");
      Server s = Server.createTcpServer(args.toArray(new String[0])).start();
      return new JournalServer(s, "jdbc:h2:tcp://" + (address == null ? "127.0.0.1" : address) + ":" + s.getPort()
          + "/" + DATABASE + ";DATABASE_TO_UPPER=false", password, dir.resolve("credentials"));
    } catch (SQLException | IOException e) {
      throw new IllegalArgumentException("cannot start the journal server in " + dir + " on port " + port + ": "
          + e.getMessage(), e);
    }
  }

  /** The password in {@code dir/credentials}, made (random, owner-only) if there is none. */
  private static String credentials(Path dir) throws IOException {
    Path file = dir.resolve("credentials");
    if (Files.exists(file)) return Files.readString(file, StandardCharsets.UTF_8).trim();
    if (Files.exists(dir.resolve(DATABASE + ".mv.db"))) {
      throw new IOException(dir.resolve(DATABASE + ".mv.db") + " exists without " + file
          + " (a journal made before journals had passwords): move it away, or write its password there");
    }
    byte[] random = new byte[18];
    new SecureRandom().nextBytes(random);
    String password = HexFormat.of().formatHex(random);
    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, password + "\n", StandardCharsets.UTF_8);
    return password;
  }

  /** Makes the database with its owner (or checks the password opens it), in this JVM. */
  private static void create(Path dir, String password) throws SQLException {
    String local = "jdbc:h2:file:" + dir.toAbsolutePath().resolve(DATABASE) + ";DATABASE_TO_UPPER=false";
    try (Connection c = DriverManager.getConnection(local, USER, password)) {
      c.isValid(5);
    }
  }

  /** The JDBC URL blades use: {@code rackshare.manager.journal.url}. */
  public String url() {
    return url;
  }

  public String user() {
    return USER;
  }

  public String password() {
    return password;
  }

  /** The file that holds the password (owner-only). */
  public Path credentials() {
    return credentials;
  }

  /**
   * {@code manager.journal { url, user, password-file }}, for inside a blade's {@code rackshare}
   * block: the password itself stays in its file.
   */
  public String hocon() {
    return "manager.journal { url = \"" + url + "\", user = \"" + USER + "\", password-file = \""
        + credentials.toAbsolutePath() + "\" }";
  }

  public int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    server.stop();
  }
}
