package io.rackshare.persistence;

import com.typesafe.config.Config;
import io.rackshare.manager.Fenced;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.pekko.coordination.lease.LeaseException;
import org.apache.pekko.coordination.lease.LeaseSettings;
import org.apache.pekko.coordination.lease.javadsl.Lease;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Pekko {@link Lease} kept in a row of the manager's journal database (H2 or PostgreSQL), so
 * that a manager's successor needs nothing beyond what it already needs, the journal, to know
 * that the old manager has stopped acting.
 *
 * <p>The row holds the owner, a generation (the {@link Fenced fencing token}: it grows with every
 * acquisition) and an expiry time <em>in the database's clock</em>. Every change is a
 * compare-and-set on a version column, so it does not depend on the database's isolation level.
 *
 * <ul>
 *   <li>Acquire: succeeds if the row has expired by the database's clock (or this owner has it).
 *   <li>Renew, every {@code heartbeat-interval}: succeeds only if the row is still this holding's
 *       and has not expired yet; a late renewal fails, and the holder has lost the lease.
 *   <li>The holder believes it holds the lease until {@code t0 + heartbeat-timeout - margin},
 *       where {@code t0} is its own clock <em>before</em> its last successful renewal was sent:
 *       that renewal set the expiry to the database's time at execution (later than {@code t0})
 *       plus the same timeout, so the holder's belief ends before anyone else can acquire it,
 *       as long as the two clocks run at about the same rate. A renewal that is stuck (a
 *       database out of reach) does not extend the belief: a watchdog on its own thread ends it
 *       and calls the lease-lost callback.
 * </ul>
 *
 * Configuration (the lease's config section): {@code url}, {@code user}, {@code password},
 * {@code table}, and Pekko's {@code heartbeat-interval}, {@code heartbeat-timeout} and
 * {@code lease-operation-timeout}.
 */
public final class JdbcLease extends Lease implements Fenced {

  private static final Logger log = LoggerFactory.getLogger(JdbcLease.class);
  /** The database's clock in milliseconds, in SQL both H2 and PostgreSQL understand. */
  private static final String NOW_MS = "CAST(EXTRACT(EPOCH FROM CURRENT_TIMESTAMP) * 1000 AS BIGINT)";

  private final LeaseSettings settings;
  private final String url;
  private final String user;
  private final String password;
  private final String table;
  private final long ttlMillis;
  private final long intervalMillis;
  private final long operationMillis;
  private final long marginNanos;
  /** JDBC calls, one at a time. */
  private final ScheduledExecutorService jdbc;
  /** Time-outs and the watchdog: never blocked by a stuck JDBC call. */
  private final ScheduledExecutorService timer;
  private Connection connection;
  private boolean prepared;

  // Guarded by this.
  private long token;
  private long validUntilNanos;
  private Consumer<Optional<Throwable>> lost;
  private ScheduledFuture<?> heartbeat;
  private ScheduledFuture<?> watchdog;
  private boolean attempting;

  public JdbcLease(LeaseSettings settings) {
    this.settings = settings;
    Config c = settings.leaseConfig();
    this.url = c.getString("url");
    this.user = c.hasPath("user") ? c.getString("user") : "";
    this.password = c.hasPath("password") ? c.getString("password") : "";
    this.table = c.hasPath("table") ? c.getString("table") : "rackshare_lease";
    if (!table.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new IllegalArgumentException("lease table name '" + table + "' is not a plain SQL identifier");
    }
    this.ttlMillis = settings.timeoutSettings().getHeartbeatTimeout().toMillis();
    this.intervalMillis = settings.timeoutSettings().getHeartbeatInterval().toMillis();
    this.operationMillis = settings.timeoutSettings().getOperationTimeout().toMillis();
    if (intervalMillis <= 0 || ttlMillis < 2 * intervalMillis) {
      throw new IllegalArgumentException("lease " + settings.leaseName() + ": heartbeat-timeout (" + ttlMillis
          + " ms) must be at least twice heartbeat-interval (" + intervalMillis + " ms)");
    }
    this.marginNanos = Duration.ofMillis(Math.max(100, ttlMillis / 10)).toNanos();
    String name = settings.leaseName().replaceAll("[^A-Za-z0-9_-]", "_");
    this.jdbc = Executors.newSingleThreadScheduledExecutor(daemon("rackshare-lease-jdbc-" + name));
    this.timer = Executors.newSingleThreadScheduledExecutor(daemon("rackshare-lease-timer-" + name));
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  @Override
  public LeaseSettings getSettings() {
    return settings;
  }

  @Override
  public CompletionStage<Boolean> acquire() {
    return acquire(t -> {});
  }

  @Override
  public CompletionStage<Boolean> acquire(Consumer<Optional<Throwable>> leaseLostCallback) {
    synchronized (this) {
      // One attempt at a time: attempts must not pile up behind a stuck database call.
      if (attempting) return CompletableFuture.completedFuture(false);
      attempting = true;
    }
    CompletableFuture<Boolean> result = new CompletableFuture<>();
    timer.schedule(() -> {
      synchronized (this) {
        result.complete(false);
      }
    }, operationMillis, TimeUnit.MILLISECONDS);
    jdbc.execute(() -> {
      long started = System.nanoTime();
      long got;
      try {
        got = tryAcquire();
      } catch (SQLException e) {
        log.info("lease {}: cannot acquire: {}", settings.leaseName(), e.getMessage());
        closeConnection();
        got = 0;
      }
      synchronized (this) {
        attempting = false;
        // A holding acquired after the caller stopped waiting is not taken: it expires unused.
        if (got > 0 && !result.isDone()) {
          token = got;
          validUntilNanos = started + Duration.ofMillis(ttlMillis).toNanos() - marginNanos;
          lost = leaseLostCallback;
          heartbeat = jdbc.scheduleWithFixedDelay(this::renew, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
          long check = Math.max(20, intervalMillis / 5);
          watchdog = timer.scheduleWithFixedDelay(this::watch, check, check, TimeUnit.MILLISECONDS);
          result.complete(true);
        } else {
          result.complete(false);
        }
      }
    });
    return result;
  }

  @Override
  public CompletionStage<Boolean> release() {
    long held;
    synchronized (this) {
      held = token;
      stopHolding();
    }
    if (held == 0) return CompletableFuture.completedFuture(true);
    CompletableFuture<Boolean> result = new CompletableFuture<>();
    // A database out of reach does not hold the caller up: the row expires by itself.
    timer.schedule(() -> result.complete(false), operationMillis, TimeUnit.MILLISECONDS);
    jdbc.execute(() -> {
      try (PreparedStatement s = connection().prepareStatement("UPDATE " + table
          + " SET owner = '', version = version + 1, expires_at = 0 WHERE name = ? AND owner = ? AND generation = ?")) {
        s.setString(1, settings.leaseName());
        s.setString(2, settings.ownerName());
        s.setLong(3, held);
        s.executeUpdate();
        connection.commit();
        result.complete(true);
      } catch (SQLException e) {
        // It expires by itself.
        log.info("lease {}: release not recorded ({}); it expires after {} ms", settings.leaseName(), e.getMessage(),
            ttlMillis);
        closeConnection();
        result.complete(false);
      }
    });
    return result;
  }

  @Override
  public synchronized boolean checkLease() {
    return token > 0 && System.nanoTime() - validUntilNanos < 0;
  }

  @Override
  public synchronized long fencingToken() {
    return checkLease() ? token : 0;
  }

  /** Stops the lease's threads (the holding, if any, expires by itself). */
  public void close() {
    jdbc.shutdownNow();
    timer.shutdownNow();
    closeConnection();
  }

  // ---- on the JDBC thread ---------------------------------------------------------------------

  /** The new generation if this owner now holds the lease, else 0. */
  private long tryAcquire() throws SQLException {
    Connection c = connection();
    try {
      long version;
      long generation;
      try (PreparedStatement s = c.prepareStatement(
          "SELECT owner, generation, version, expires_at < " + NOW_MS + " FROM " + table + " WHERE name = ?")) {
        s.setString(1, settings.leaseName());
        try (ResultSet r = s.executeQuery()) {
          if (!r.next()) throw new SQLException("no row for lease " + settings.leaseName());
          boolean mine = r.getString(1).equals(settings.ownerName());
          generation = r.getLong(2);
          version = r.getLong(3);
          if (!mine && !r.getBoolean(4)) {
            c.commit();
            return 0;
          }
        }
      }
      try (PreparedStatement s = c.prepareStatement("UPDATE " + table + " SET owner = ?, generation = generation + 1,"
          + " version = version + 1, expires_at = " + NOW_MS + " + ? WHERE name = ? AND version = ?")) {
        s.setString(1, settings.ownerName());
        s.setLong(2, ttlMillis);
        s.setString(3, settings.leaseName());
        s.setLong(4, version);
        int rows = s.executeUpdate();
        c.commit();
        return rows == 1 ? generation + 1 : 0;
      }
    } catch (SQLException e) {
      rollback(c);
      throw e;
    }
  }

  private void renew() {
    long held;
    synchronized (this) {
      held = token;
    }
    if (held == 0) return;
    long started = System.nanoTime();
    int rows;
    try (PreparedStatement s = connection().prepareStatement("UPDATE " + table + " SET version = version + 1,"
        + " expires_at = " + NOW_MS + " + ? WHERE name = ? AND owner = ? AND generation = ? AND expires_at >= " + NOW_MS)) {
      s.setLong(1, ttlMillis);
      s.setString(2, settings.leaseName());
      s.setString(3, settings.ownerName());
      s.setLong(4, held);
      rows = s.executeUpdate();
      connection.commit();
    } catch (SQLException e) {
      // Not renewed this time; the watchdog ends the holding if it stays so.
      log.info("lease {}: renewal failed: {}", settings.leaseName(), e.getMessage());
      closeConnection();
      return;
    }
    synchronized (this) {
      if (token != held) return;
      if (rows == 1) {
        validUntilNanos = started + Duration.ofMillis(ttlMillis).toNanos() - marginNanos;
        return;
      }
    }
    lose(held, "the lease row is no longer this holding's (expired, or taken by another owner)");
  }

  private Connection connection() throws SQLException {
    if (connection == null) {
      Connection c = DriverManager.getConnection(url, user, password);
      try {
        c.setNetworkTimeout(jdbc, (int) operationMillis);
      } catch (SQLFeatureNotSupportedException | AbstractMethodError e) {
        // The watchdog bounds a stuck renewal anyway.
      }
      c.setAutoCommit(false);
      connection = c;
      if (!prepared) prepare(c);
    }
    return connection;
  }

  /** Creates the lease's table and row if they are missing (several blades may race to). */
  private void prepare(Connection c) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("CREATE TABLE IF NOT EXISTS " + table
        + " (name VARCHAR(255) PRIMARY KEY, owner VARCHAR(1024) NOT NULL, generation BIGINT NOT NULL,"
        + " version BIGINT NOT NULL, expires_at BIGINT NOT NULL)")) {
      s.executeUpdate();
      c.commit();
    } catch (SQLException e) {
      rollback(c); // another blade created it meanwhile
    }
    try (PreparedStatement s = c.prepareStatement("INSERT INTO " + table
        + " (name, owner, generation, version, expires_at) SELECT ?, '', 0, 0, 0 WHERE NOT EXISTS"
        + " (SELECT 1 FROM " + table + " WHERE name = ?)")) {
      s.setString(1, settings.leaseName());
      s.setString(2, settings.leaseName());
      s.executeUpdate();
      c.commit();
    } catch (SQLException e) {
      rollback(c); // inserted by another blade meanwhile
    }
    prepared = true;
  }

  private static void rollback(Connection c) {
    try {
      c.rollback();
    } catch (SQLException ignored) {
      // the connection is closed next
    }
  }

  private void closeConnection() {
    Connection c = connection;
    connection = null;
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // gone anyway
      }
    }
  }

  // ---- on the timer thread --------------------------------------------------------------------

  private void watch() {
    long held;
    synchronized (this) {
      if (token == 0 || System.nanoTime() - validUntilNanos < 0) return;
      held = token;
    }
    lose(held, "not renewed within " + ttlMillis + " ms");
  }

  private void lose(long held, String why) {
    Consumer<Optional<Throwable>> callback;
    synchronized (this) {
      if (token != held) return;
      callback = lost;
      stopHolding();
    }
    log.warn("lease {} lost by {}: {}", settings.leaseName(), settings.ownerName(), why);
    if (callback != null) callback.accept(Optional.of(new LeaseException(why)));
  }

  private void stopHolding() {
    token = 0;
    lost = null;
    if (heartbeat != null) heartbeat.cancel(false);
    if (watchdog != null) watchdog.cancel(false);
    heartbeat = null;
    watchdog = null;
  }
}
