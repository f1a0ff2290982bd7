package io.rackshare.persistence;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.rackshare.manager.ManagerEvent;
import io.rackshare.manager.ManagerState;
import io.rackshare.manager.ResourceManager;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * The global map as the manager's journal holds it, read by someone else than a manager: every
 * event of the manager's persistence id, from the first, folded as the manager folds them. An
 * operator (and a test) compares its digest with each blade's to see that every blade routes with
 * the journal's map ({@code rackshare journal-digest}).
 */
public final class JournalDigest {
  private JournalDigest() {}

  /** The journal's last event, and the map it leaves. */
  public record Result(long sequenceNr, long mapEpoch, String mapDigest, int volumes) {}

  public static Result read(String url, String user, String password, Duration timeout) throws Exception {
    Config config = Journals.apply(ConfigFactory.parseString("pekko.actor.provider = local\npekko.loglevel = WARNING")
        .withValue("rackshare.manager.journal.url", ConfigValueFactory.fromAnyRef(url))
        .withValue("rackshare.manager.journal.user", ConfigValueFactory.fromAnyRef(user))
        .withValue("rackshare.manager.journal.password", ConfigValueFactory.fromAnyRef(password))
        .withFallback(ConfigFactory.load()));
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "rackshare-journal-digest", config);
    try {
      CurrentEventsByPersistenceIdQuery query = PersistenceQuery.get(system)
          .getReadJournalFor(CurrentEventsByPersistenceIdQuery.class, "jdbc-read-journal");
      long[] last = {0};
      ManagerState state = query.currentEventsByPersistenceId(ResourceManager.PERSISTENCE_ID.id(), 0, Long.MAX_VALUE)
          .runWith(Sink.fold(ManagerState.EMPTY, (s, e) -> {
            last[0] = e.sequenceNr();
            return s.apply((ManagerEvent) e.event());
          }), system)
          .toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return new Result(last[0], state.map().epoch(), state.map().digest(), state.map().volumes().size());
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
