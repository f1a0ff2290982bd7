package io.rackshare.smm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.rackshare.map.BladeId;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** The SMM handler's dispatch, request windows, time-outs and exactly-once answers, on one blade. */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SmmHandlerTest {

  @JUnit5TestKit
  public ActorTestKit testKit = new JUnit5TestKitBuilder()
      .withName("smm")
      .withCustomConfig(ConfigFactory.parseString("""
          pekko.actor.provider = cluster
          pekko.remote.artery.canonical.hostname = 127.0.0.1
          pekko.remote.artery.canonical.port = 0
          """).withFallback(ConfigFactory.load()))
      .build();

  static final BladeId SELF = new BladeId(1, 1, 1);

  /** A local-only test message. */
  record Ping(int n) implements OobMessage {}

  static OobSettings settings(int inFlight, int queued, Duration timeout) {
    return new OobSettings(inFlight, queued, timeout, Duration.ofMillis(50), Duration.ofSeconds(1));
  }

  ActorRef<SmmHandler.Command> smm(OobSettings s) {
    return testKit.spawn(SmmHandler.create(SELF, s));
  }

  @Test
  void dispatchesToTheFirstHandlerThatClaimsTheMessage() {
    ActorRef<SmmHandler.Command> smm = smm(settings(8, 8, Duration.ofSeconds(5)));
    TestProbe<SmmHandler.Delivery> evens = testKit.createTestProbe();
    TestProbe<SmmHandler.Delivery> all = testKit.createTestProbe();
    smm.tell(new SmmHandler.RegisterHandler("evens", m -> m instanceof Ping p && p.n() % 2 == 0, evens.ref()));
    smm.tell(new SmmHandler.RegisterHandler("all", m -> true, all.ref()));
    smm.tell(new SmmHandler.Send(SELF, new Ping(2)));
    smm.tell(new SmmHandler.Send(SELF, new Ping(3)));
    assertEquals(new Ping(2), evens.receiveMessage().message());
    SmmHandler.Delivery d = all.receiveMessage();
    assertEquals(new Ping(3), d.message());
    assertEquals(SELF, d.from());
    evens.expectNoMessage(Duration.ofMillis(100));
    all.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void aRequestIsAnsweredExactlyOnce() {
    ActorRef<SmmHandler.Command> smm = smm(settings(8, 8, Duration.ofSeconds(5)));
    TestProbe<SmmHandler.Delivery> handler = testKit.createTestProbe();
    TestProbe<SmmHandler.Response> requester = testKit.createTestProbe();
    smm.tell(new SmmHandler.RegisterHandler("h", m -> true, handler.ref()));
    smm.tell(new SmmHandler.Request(SELF, new Ping(1), 77, requester.ref()));
    SmmHandler.Delivery d = handler.receiveMessage();
    assertTrue(d.responder().expectsReply());
    d.responder().reply(new Ping(100));
    d.responder().reply(new Ping(101)); // a buggy second answer must not reach the requester
    assertEquals(new SmmHandler.Answered(77, SELF, new Ping(100)), requester.receiveMessage());
    requester.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void aRequestNobodyClaimsFailsWithNoHandler() {
    ActorRef<SmmHandler.Command> smm = smm(settings(8, 8, Duration.ofSeconds(5)));
    TestProbe<SmmHandler.Response> requester = testKit.createTestProbe();
    smm.tell(new SmmHandler.Request(SELF, new Ping(1), 5, requester.ref()));
    SmmHandler.Failed f = (SmmHandler.Failed) requester.receiveMessage();
    assertEquals(SmmHandler.Failure.NO_HANDLER, f.failure());
    assertEquals(5, f.tag());
  }

  @Test
  void requestsInFlightAreBoundedAndTheQueueOverflowsWithAClearFailure() {
    ActorRef<SmmHandler.Command> smm = smm(settings(2, 1, Duration.ofSeconds(10)));
    TestProbe<SmmHandler.Delivery> handler = testKit.createTestProbe();
    TestProbe<SmmHandler.Response> requester = testKit.createTestProbe();
    smm.tell(new SmmHandler.RegisterHandler("slow", m -> true, handler.ref()));
    for (int i = 1; i <= 4; i++) smm.tell(new SmmHandler.Request(SELF, new Ping(i), i, requester.ref()));
    SmmHandler.Delivery first = handler.receiveMessage();
    handler.receiveMessage();
    handler.expectNoMessage(Duration.ofMillis(200)); // the third waits in the queue
    SmmHandler.Failed overflow = (SmmHandler.Failed) requester.receiveMessage();
    assertEquals(SmmHandler.Failure.OVERLOADED, overflow.failure());
    assertEquals(4, overflow.tag());
    first.responder().reply(new Ping(0));
    assertEquals(1, requester.receiveMessage().tag());
    assertEquals(new Ping(3), handler.receiveMessage().message()); // room again: the queued one goes
  }

  @Test
  void anUnansweredRequestTimesOutAndALateAnswerIsDropped() {
    ActorRef<SmmHandler.Command> smm = smm(settings(8, 8, Duration.ofMillis(300)));
    TestProbe<SmmHandler.Delivery> handler = testKit.createTestProbe();
    TestProbe<SmmHandler.Response> requester = testKit.createTestProbe();
    smm.tell(new SmmHandler.RegisterHandler("silent", m -> true, handler.ref()));
    smm.tell(new SmmHandler.Request(SELF, new Ping(1), 9, requester.ref()));
    SmmHandler.Delivery d = handler.receiveMessage();
    SmmHandler.Failed f = (SmmHandler.Failed) requester.receiveMessage(Duration.ofSeconds(3));
    assertEquals(SmmHandler.Failure.TIMEOUT, f.failure());
    d.responder().reply(new Ping(2));
    requester.expectNoMessage(Duration.ofMillis(300));
  }

  @Test
  void aRequestForAnUnknownBladeTimesOutSayingSo() {
    ActorRef<SmmHandler.Command> smm = smm(settings(8, 8, Duration.ofMillis(300)));
    TestProbe<SmmHandler.Response> requester = testKit.createTestProbe();
    smm.tell(new SmmHandler.Request(new BladeId(9, 9, 9), new Ping(1), 1, requester.ref()));
    SmmHandler.Failed f = (SmmHandler.Failed) requester.receiveMessage(Duration.ofSeconds(3));
    assertEquals(SmmHandler.Failure.TIMEOUT, f.failure());
    assertTrue(f.detail().contains("not known"), f.detail());
  }

  @Test
  void messagesForTheManagerWaitUntilItIsKnown() {
    ActorRef<SmmHandler.Command> smm = smm(settings(8, 8, Duration.ofSeconds(5)));
    record ForMgr(int n) implements OobMessage.ForManager {}
    TestProbe<SmmHandler.Topology> topology = testKit.createTestProbe();
    smm.tell(new SmmHandler.SubscribeTopology(topology.ref()));
    assertTrue(topology.receiveMessage().manager().isEmpty());
    smm.tell(new SmmHandler.SendToManager(new ForMgr(1)));
    TestProbe<SmmHandler.Delivery> manager = testKit.createTestProbe();
    manager.expectNoMessage(Duration.ofMillis(100));
    smm.tell(new SmmHandler.ManagerStarted(manager.ref(), 1));
    assertEquals(new ForMgr(1), manager.receiveMessage().message());
    assertEquals(java.util.Optional.of(SELF), topology.receiveMessage().manager());
    smm.tell(new SmmHandler.ManagerStopped(1));
  }
}
