package io.rackshare.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.coordination.lease.LeaseSettings;
import org.apache.pekko.coordination.lease.TimeoutSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The manager's lease in the journal's database (H2 over TCP, as the demo and the multi-JVM tests
 * run it): one holder at a time, fencing tokens that grow, a holder whose belief ends before
 * anyone else can acquire, and a holding that ends when its row is taken or the database is out of
 * reach.
 */
class JdbcLeaseTest {

  static final Duration TTL = Duration.ofMillis(1000);
  static final Duration INTERVAL = Duration.ofMillis(200);

  @TempDir Path dir;
  JournalServer server;
  final List<JdbcLease> leases = new ArrayList<>();

  @BeforeEach
  void start() {
    server = JournalServer.start(dir.resolve("db"), 0);
  }

  @AfterEach
  void stop() {
    leases.forEach(JdbcLease::close);
    if (server != null) server.close();
  }

  JdbcLease lease(String owner) {
    LeaseSettings s = new LeaseSettings("rackshare-manager", owner,
        new TimeoutSettings(scala(INTERVAL), scala(TTL), scala(Duration.ofSeconds(2))),
        ConfigFactory.parseString("url = \"" + server.url() + "\", user = " + server.user() + ", password = \""
            + server.password() + "\""));
    JdbcLease l = new JdbcLease(s);
    leases.add(l);
    return l;
  }

  static scala.concurrent.duration.FiniteDuration scala(Duration d) {
    return scala.concurrent.duration.FiniteDuration.apply(d.toMillis(), TimeUnit.MILLISECONDS);
  }

  static boolean get(java.util.concurrent.CompletionStage<Boolean> s) throws Exception {
    return s.toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void oneHolderAtATimeWithGrowingTokens() throws Exception {
    JdbcLease a = lease("a");
    JdbcLease b = lease("b");
    assertTrue(get(a.acquire()));
    long first = a.fencingToken();
    assertTrue(first > 0);
    assertFalse(get(b.acquire()), "b acquired a lease a holds");
    // a keeps renewing: b still cannot have it well after one time-out.
    long until = System.nanoTime() + 3 * TTL.toNanos();
    while (System.nanoTime() < until) {
      assertTrue(a.checkLease(), "a's renewals lapsed");
      assertFalse(get(b.acquire()), "b acquired a lease a renews");
    }
    assertTrue(get(a.release()));
    assertFalse(a.checkLease());
    assertEquals(0, a.fencingToken());
    assertTrue(get(b.acquire()), "b could not acquire a released lease");
    assertTrue(b.fencingToken() > first, "tokens must grow: " + first + " then " + b.fencingToken());
  }

  @Test
  void aHolderThatStopsRenewingBelievesItHoldsItNoLongerThanAnyoneElseCannotAcquireIt() throws Exception {
    JdbcLease a = lease("a");
    JdbcLease b = lease("b");
    assertTrue(get(a.acquire()));
    long token = a.fencingToken();
    // a dies without a word (kill -9): its threads stop, its belief runs out on its own clock.
    a.close();
    long aBelievedUntil = 0;
    long bAcquiredAt = 0;
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (bAcquiredAt == 0 && System.nanoTime() < deadline) {
      if (aBelievedUntil == 0 && !a.checkLease()) aBelievedUntil = System.nanoTime();
      boolean got = get(b.acquire());
      if (got) bAcquiredAt = System.nanoTime();
      if (aBelievedUntil == 0 && !a.checkLease()) aBelievedUntil = System.nanoTime();
    }
    assertTrue(bAcquiredAt > 0, "b never acquired the lease a stopped renewing");
    assertTrue(aBelievedUntil > 0 && aBelievedUntil < bAcquiredAt,
        "b acquired the lease while a still believed it held it");
    assertTrue(b.fencingToken() > token);
  }

  @Test
  void aHoldingEndsWhenTheDatabaseIsOutOfReach() throws Exception {
    JdbcLease a = lease("a");
    CompletableFuture<Optional<Throwable>> lost = new CompletableFuture<>();
    assertTrue(get(a.acquire(lost::complete)));
    long cut = System.nanoTime();
    server.close();
    server = null;
    Optional<Throwable> why = lost.get(5, TimeUnit.SECONDS);
    long after = System.nanoTime() - cut;
    assertTrue(why.isPresent(), "no reason given");
    assertFalse(a.checkLease());
    assertTrue(after <= TTL.toNanos() + INTERVAL.toNanos(), "held " + after / 1_000_000 + " ms after the cut");
  }

  @Test
  void aHoldingEndsWhenItsRowIsTaken() throws Exception {
    JdbcLease a = lease("a");
    CompletableFuture<Optional<Throwable>> lost = new CompletableFuture<>();
    assertTrue(get(a.acquire(lost::complete)));
    // An operator (or a mis-configured second cluster) overwrites the row.
    try (Connection c = DriverManager.getConnection(server.url(), server.user(), server.password())) {
      c.createStatement().executeUpdate("UPDATE rackshare_lease SET owner = 'intruder', version = version + 1");
    }
    Optional<Throwable> why = lost.get(5, TimeUnit.SECONDS);
    assertTrue(why.isPresent() && why.get().getMessage().contains("no longer this holding's"), String.valueOf(why));
    assertFalse(a.checkLease());
  }

  @Test
  void aHolderAcquiresAgainWithANewTokenAndTwoAcquirersNeverBothWin() throws Exception {
    List<JdbcLease> rivals = new ArrayList<>();
    for (int i = 0; i < 4; i++) rivals.add(lease("r" + i));
    long lastToken = 0;
    for (int round = 0; round < 5; round++) {
      List<CompletableFuture<Boolean>> tries = new ArrayList<>();
      for (JdbcLease r : rivals) tries.add(r.acquire().toCompletableFuture());
      int winners = 0;
      JdbcLease winner = null;
      for (int i = 0; i < tries.size(); i++) {
        if (tries.get(i).get(10, TimeUnit.SECONDS)) {
          winners++;
          winner = rivals.get(i);
        }
      }
      assertEquals(1, winners, "round " + round + ": " + winners + " acquired the lease at once");
      assertTrue(winner.fencingToken() > lastToken);
      lastToken = winner.fencingToken();
      assertTrue(get(winner.release()));
    }
  }
}
