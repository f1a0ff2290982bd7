package io.rackshare.events;

import org.apache.pekko.actor.typed.ActorRef;

/**
 * A subscriber's registration with its blade's {@link EventPublisher}: {@link #cancel()} ends it.
 * It also ends by itself when the subscriber stops (the publisher watches it).
 */
public final class Subscription {
  private final ActorRef<EventPublisher.Command> publisher;
  private final ActorRef<?> subscriber;

  Subscription(ActorRef<EventPublisher.Command> publisher, ActorRef<?> subscriber) {
    this.publisher = publisher;
    this.subscriber = subscriber;
  }

  /** The subscriber gets no event once the publisher has handled this (events already sent still arrive). */
  public void cancel() {
    publisher.tell(new EventPublisher.Unsubscribe(subscriber));
  }

  /** The subscribed actor. */
  public ActorRef<?> subscriber() {
    return subscriber;
  }
}
