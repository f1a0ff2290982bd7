package io.rackshare.persistence;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journal profiles of the manager, chosen by {@code rackshare.manager.journal.url}:
 *
 * <ul>
 *   <li>empty: Pekko's in-memory journal (it dies with its blade; a manager that starts elsewhere
 *       rebuilds the map from the maps the blades keep);
 *   <li>{@code jdbc:h2:tcp://host:port/name}: an H2 database served by a process that outlives
 *       the blades (the demo launcher, or {@code rackshare journal-server}) and that every blade of
 *       one machine reaches. Not H2's AUTO_SERVER mode: it lost acknowledged events here when the
 *       JVM that happened to own the database was killed;
 *   <li>{@code jdbc:postgresql://host:port/db}: PostgreSQL, for clusters of several hosts.
 * </ul>
 *
 * Both JDBC journals go through pekko-persistence-jdbc; its primary key (persistence id, sequence
 * number) refuses a second writer's event with a number already taken: a fence against two
 * managers writing at once. The manager's seat holds its lease ({@link JdbcLease}) in the same
 * database, so that its successor can take over as soon as the lease expires.
 */
public final class Journals {
  private Journals() {}

  private static final Logger log = LoggerFactory.getLogger(Journals.class);

  /** {@code config} with the persistence settings its journal URL asks for layered in. */
  public static Config apply(Config config) {
    String url = config.getString("rackshare.manager.journal.url").trim();
    if (url.isEmpty()) return config;
    String profile;
    String driver;
    if (url.startsWith("jdbc:h2:")) {
      profile = "slick.jdbc.H2Profile$";
      driver = "org.h2.Driver";
      if (!url.contains("DATABASE_TO_UPPER")) url += ";DATABASE_TO_UPPER=false";
    } else if (url.startsWith("jdbc:postgresql:")) {
      profile = "slick.jdbc.PostgresProfile$";
      driver = "org.postgresql.Driver";
    } else {
      throw new IllegalArgumentException("rackshare.manager.journal.url: '" + url
          + "' is neither jdbc:h2:tcp://... nor jdbc:postgresql://...");
    }
    String password = password(config);
    Config journal = ConfigFactory.parseString("""
            rackshare.manager {
              journal-plugin = "jdbc-journal"
              snapshot-plugin = "jdbc-snapshot-store"
              read-journal-plugin = "jdbc-read-journal"
            }
            # The live backup polls the journal for the manager's new events this often.
            jdbc-read-journal.refresh-interval = 200ms
            jdbc-journal.use-shared-db = "rackshare"
            jdbc-snapshot-store.use-shared-db = "rackshare"
            jdbc-read-journal.use-shared-db = "rackshare"
            pekko-persistence-jdbc.shared-databases.rackshare {
              db {
                connectionPool = "HikariCP"
                numThreads = 2
                maxConnections = 2
                minConnections = 1
                connectionTimeout = 10s
              }
            }
            """)
        .withValue("pekko-persistence-jdbc.shared-databases.rackshare.profile", ConfigValueFactory.fromAnyRef(profile))
        .withValue("pekko-persistence-jdbc.shared-databases.rackshare.db.url", ConfigValueFactory.fromAnyRef(url))
        .withValue("pekko-persistence-jdbc.shared-databases.rackshare.db.driver", ConfigValueFactory.fromAnyRef(driver))
        .withValue("pekko-persistence-jdbc.shared-databases.rackshare.db.user",
            ConfigValueFactory.fromAnyRef(config.getString("rackshare.manager.journal.user")))
        .withValue("pekko-persistence-jdbc.shared-databases.rackshare.db.password",
            ConfigValueFactory.fromAnyRef(password));
    // The manager's seat holds a lease in the same database (unless another lease is named).
    if (config.getString("rackshare.manager.lease.lease-class").isEmpty()) {
      journal = journal
          .withValue("rackshare.manager.lease.lease-class", ConfigValueFactory.fromAnyRef(JdbcLease.class.getName()))
          .withValue("rackshare.manager.lease.url", ConfigValueFactory.fromAnyRef(url))
          .withValue("rackshare.manager.lease.user",
              ConfigValueFactory.fromAnyRef(config.getString("rackshare.manager.journal.user")))
          .withValue("rackshare.manager.lease.password", ConfigValueFactory.fromAnyRef(password));
    }
    if (config.getInt("rackshare.manager.snapshot-every") == 0) {
      journal = journal.withValue("rackshare.manager.snapshot-every", ConfigValueFactory.fromAnyRef(100));
    }
    return journal.withFallback(config).resolve();
  }

  /**
   * The journal's password: the first line of {@code rackshare.manager.journal.password-file} when
   * that is set (a journal server's {@code credentials}), else {@code password}.
   */
  static String password(Config config) {
    String file = config.hasPath("rackshare.manager.journal.password-file")
        ? config.getString("rackshare.manager.journal.password-file").trim() : "";
    if (file.isEmpty()) return config.getString("rackshare.manager.journal.password");
    try {
      return java.nio.file.Files.readAllLines(java.nio.file.Path.of(file)).stream().findFirst().orElse("").trim();
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("rackshare.manager.journal.password-file: cannot read " + file + ": " + e);
    }
  }

  /** Whether {@code config} (after {@link #apply}) uses a JDBC journal. */
  public static boolean jdbc(Config config) {
    return !config.getString("rackshare.manager.journal.url").trim().isEmpty();
  }

  /**
   * Creates the journal's tables if they are missing, before a manager may start. Blades start
   * together, so a concurrent creation that fails is tried again.
   */
  public static void prepare(ActorSystem<?> system, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      try {
        SchemaUtils.createIfNotExists("jdbc-journal", system).toCompletableFuture()
            .get(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
        return;
      } catch (Exception e) {
        last = new IllegalArgumentException("rackshare.manager.journal: cannot prepare the journal: "
            + rootMessage(e), e);
        log.info("journal not ready yet ({}); trying again", rootMessage(e));
        try {
          Thread.sleep(500); // a database that is starting up has nothing to wait on
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw last;
        }
      }
    }
    throw last != null ? last : new IllegalArgumentException("rackshare.manager.journal: not ready within " + timeout);
  }

  private static String rootMessage(Throwable t) {
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    return t.toString();
  }
}
