package io.rackshare.console;

import io.rackshare.map.BladeId;
import io.rackshare.map.ResourceConfig;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What a console station plays, for the connections of its web viewers: the state of the audio of
 * the blade the station shows (whose audio, its format, or why there is none) and its PCM chunks,
 * handed to each {@link Listener}. Each listener has a queue of at most {@link #CAPACITY} chunks;
 * when a viewer does not keep up its oldest chunks are dropped, so a slow viewer neither stalls the
 * others nor the station nor the source, and costs at most its queue.
 */
public final class AudioView {

  /** Chunks queued per listener: about a second ({@link AudioCapture#CHUNK_MILLIS} each). */
  public static final int CAPACITY = 25;

  /**
   * One state of the station's audio: {@code blade} shown (null: none), its {@code format} (null
   * while unknown or when it has none), {@code problem}: why nothing plays (null: all is well).
   */
  public record State(long seq, BladeId blade, ResourceConfig.Audio format, String problem) {}

  /** What a listener receives: a new {@link State}, or a chunk of PCM in the last state's format. */
  public sealed interface Item {}

  /** The station's audio changed to {@code state}: the chunks that follow are in its format. */
  public record StateItem(State state) implements Item {}

  /**
   * Captured PCM, in the format of the last {@link StateItem}; owned by the view, not to be changed
   * by a listener.
   */
  public record Chunk(byte[] pcm) implements Item {}

  /** A listener's counters: chunks queued and their bytes, dropped (too slow) and taken. */
  public record Stats(int queued, long queuedBytes, long dropped, long taken) {}

  private final Object lock = new Object();
  private State state = new State(0, null, null, "no blade shown yet");
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private volatile long chunksIn;

  /** A new listener; it gets the current state first. {@link Listener#close} removes it. */
  public Listener listen() {
    Listener l = new Listener();
    synchronized (lock) {
      listeners.add(l);
      l.offer(new StateItem(state), false);
    }
    return l;
  }

  /** The station now plays {@code blade}'s audio, of {@code format}; {@code problem}: why not now, or null. */
  public void show(BladeId blade, ResourceConfig.Audio format, String problem) {
    synchronized (lock) {
      if (java.util.Objects.equals(blade, state.blade()) && java.util.Objects.equals(format, state.format())
          && java.util.Objects.equals(problem, state.problem())) {
        return;
      }
      state = new State(state.seq() + 1, blade, format, problem);
      StateItem item = new StateItem(state);
      listeners.forEach(l -> l.offer(item, true));
    }
  }

  /** A chunk of {@code blade}'s audio (ignored unless it is the blade shown, with a format). */
  public void pcm(BladeId blade, byte[] pcm) {
    synchronized (lock) {
      if (!blade.equals(state.blade()) || state.format() == null) return;
      if (state.problem() != null) show(blade, state.format(), null);
      chunksIn++;
      Chunk chunk = new Chunk(pcm);
      listeners.forEach(l -> l.offer(chunk, false));
    }
  }

  public State state() {
    synchronized (lock) {
      return state;
    }
  }

  /** Chunks received from sources since the station started. */
  public long chunksIn() {
    return chunksIn;
  }

  /** Each listener's counters. */
  public List<Stats> stats() {
    List<Stats> out = new ArrayList<>();
    listeners.forEach(l -> out.add(l.stats()));
    return out;
  }

  /** One viewer's queue. */
  public final class Listener {
    private final ArrayDeque<Item> queue = new ArrayDeque<>();
    private int chunks;
    private long queuedBytes;
    private long dropped;
    private long taken;
    private boolean closed;
    private CompletableFuture<Optional<Item>> waiting;

    private Listener() {}

    /** Queues {@code item}; a new state ({@code flush}) replaces the chunks of the one before. */
    private void offer(Item item, boolean flush) {
      CompletableFuture<Optional<Item>> w;
      synchronized (this) {
        if (closed) return;
        if (flush) {
          queue.clear();
          chunks = 0;
          queuedBytes = 0;
        }
        if (waiting != null) {
          w = waiting;
          waiting = null;
          taken++;
        } else {
          w = null;
          if (item instanceof Chunk c) {
            while (chunks >= CAPACITY) dropOldestChunk();
            chunks++;
            queuedBytes += c.pcm().length;
          }
          queue.addLast(item);
        }
      }
      if (w != null) w.complete(Optional.of(item));
    }

    private void dropOldestChunk() {
      for (java.util.Iterator<Item> i = queue.iterator(); i.hasNext(); ) {
        if (i.next() instanceof Chunk c) {
          i.remove();
          chunks--;
          queuedBytes -= c.pcm().length;
          dropped++;
          return;
        }
      }
    }

    /** The next item once there is one; empty once closed. One call at a time. */
    public CompletionStage<Optional<Item>> next() {
      synchronized (this) {
        if (closed) return CompletableFuture.completedFuture(Optional.empty());
        Item item = queue.pollFirst();
        if (item == null) {
          waiting = new CompletableFuture<>();
          return waiting;
        }
        if (item instanceof Chunk c) {
          chunks--;
          queuedBytes -= c.pcm().length;
        }
        taken++;
        return CompletableFuture.completedFuture(Optional.of(item));
      }
    }

    /** Stops listening: the queue goes, and a pending {@link #next} completes empty. */
    public void close() {
      CompletableFuture<Optional<Item>> w;
      synchronized (this) {
        closed = true;
        queue.clear();
        chunks = 0;
        queuedBytes = 0;
        w = waiting;
        waiting = null;
      }
      listeners.remove(this);
      if (w != null) w.complete(Optional.empty());
    }

    public synchronized Stats stats() {
      return new Stats(chunks, queuedBytes, dropped, taken);
    }
  }
}
