package io.rackshare.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo's journal server against issue 13's attack: anyone on the host opened it as {@code sa}
 * with an empty password (and could then run Java in its JVM with {@code CREATE ALIAS}), or
 * created a database of their own on it.
 */
class JournalServerTest {

  @TempDir Path dir;

  static String otherDatabase(JournalServer s, String name) {
    return s.url().replace("/" + JournalServer.DATABASE + ";", "/" + name + ";");
  }

  @Test
  void onlyItsOwnCredentialOpensTheJournalAndNoClientCreatesADatabase() throws Exception {
    try (JournalServer s = JournalServer.start(dir.resolve("journal"), 0)) {
      try (Connection c = DriverManager.getConnection(s.url(), s.user(), s.password())) {
        assertTrue(c.isValid(5), "the journal's credential opens it");
      }
      assertThrows(SQLException.class, () -> DriverManager.getConnection(s.url(), "sa", "").close(), "sa without a password");
      assertThrows(SQLException.class, () -> DriverManager.getConnection(s.url(), s.user(), "guess").close(), "a wrong password");
      SQLException created = assertThrows(SQLException.class,
          () -> DriverManager.getConnection(otherDatabase(s, "mine"), "sa", "").close(), "a database of one's own");
      assertTrue(String.valueOf(created.getMessage()).contains("not found"), created.getMessage());
      assertFalse(Files.exists(dir.resolve("journal").resolve("mine.mv.db")), "no database was made for the client");
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(s.credentials())));
      assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("journal"))));
      assertTrue(s.hocon().contains("password-file") && !s.hocon().contains(s.password()),
          "blade configs name the file, not the password");
    }
  }

  @Test
  void aRestartKeepsThePasswordAndTheJournal() throws Exception {
    String first;
    try (JournalServer s = JournalServer.start(dir.resolve("journal"), 0)) {
      first = s.password();
      try (Connection c = DriverManager.getConnection(s.url(), s.user(), s.password())) {
        c.createStatement().execute("CREATE TABLE kept (x INT)");
      }
    }
    try (JournalServer s = JournalServer.start(dir.resolve("journal"), 0);
        Connection c = DriverManager.getConnection(s.url(), s.user(), s.password())) {
      assertEquals(first, s.password());
      assertTrue(c.createStatement().executeQuery("SELECT COUNT(*) FROM kept").next());
    }
  }

  @Test
  void aJournalWithoutItsCredentialsFileIsAClearError() throws Exception {
    Path journal = Files.createDirectories(dir.resolve("old"));
    try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + journal.resolve("rackshare"), "sa", "")) {
      c.isValid(5);
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JournalServer.start(journal, 0));
    assertTrue(e.getMessage().contains("without") && e.getMessage().contains("credentials"), e.getMessage());
  }
}
