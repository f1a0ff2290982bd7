package io.rackshare.console;

import io.rackshare.map.ResourceConfig;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One run of an audio source's command ({@code sh -c COMMAND}): a thread of its own reads its
 * standard output in chunks of {@link #CHUNK_MILLIS} ms of whole frames and hands each to a
 * {@link Sink}, no faster than real time: a capture device ({@code arecord}) delivers at that pace
 * by itself, and a generator that writes as fast as the pipe takes it ({@code sox ... synth}) is
 * held to it by the pipe, so it is a live source as well. With {@code wav}, a RIFF/WAVE header
 * ({@code espeak-ng --stdout}) is read first and must say what the configuration says.
 *
 * <p>Memory is one chunk; the last line the command wrote on its standard error (at most {@link
 * #MAX_ERROR_LINE} characters) is kept to say why it ended.
 */
final class AudioCapture implements AutoCloseable {

  /** Chunk length: what a station's viewer gets per message. */
  static final int CHUNK_MILLIS = 40;
  static final int MAX_ERROR_LINE = 300;
  /** A WAV header longer than this (chunks before {@code data}) is not one. */
  static final int MAX_WAV_HEADER = 64 * 1024;

  /** Where the chunks go (from the capture's own thread). */
  interface Sink {
    void chunk(byte[] pcm);

    /** The command ended (or never started): why, in one line. */
    void ended(String why);
  }

  private final Process process;
  private volatile String lastError = "";

  private AudioCapture(Process process) {
    this.process = process;
  }

  /** Starts {@code command} (a shell command line) and its reader, named {@code name}. */
  static AudioCapture start(String command, ResourceConfig.Audio format, boolean wav, String name, Sink sink)
      throws IOException {
    Process p = new ProcessBuilder(List.of("/bin/sh", "-c", command)).redirectInput(ProcessBuilder.Redirect.from(
        new java.io.File("/dev/null"))).start();
    AudioCapture capture = new AudioCapture(p);
    Thread errors = new Thread(capture::readErrors, name + "-stderr");
    errors.setDaemon(true);
    errors.start();
    Thread reader = new Thread(() -> capture.read(format, wav, sink), name);
    reader.setDaemon(true);
    reader.start();
    return capture;
  }

  /** Bytes per chunk of {@code format}: {@link #CHUNK_MILLIS} ms of whole frames. */
  static int chunkBytes(ResourceConfig.Audio format) {
    return format.rate() * CHUNK_MILLIS / 1000 * format.frameBytes();
  }

  private void readErrors() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(),
        StandardCharsets.UTF_8))) {
      StringBuilder line = new StringBuilder();
      int c;
      while ((c = r.read()) >= 0) {
        if (c == '\n') {
          if (!line.toString().isBlank()) lastError = line.toString().strip();
          line.setLength(0);
        } else if (line.length() < MAX_ERROR_LINE) {
          line.append((char) c);
        }
      }
      if (!line.toString().isBlank()) lastError = line.toString().strip();
    } catch (IOException e) {
      // the process went away
    }
  }

  private void read(ResourceConfig.Audio format, boolean wav, Sink sink) {
    String problem = null;
    try (DataInputStream in = new DataInputStream(process.getInputStream())) {
      if (wav) problem = readWavHeader(in, format);
      if (problem == null) pace(in, format, sink);
    } catch (IOException e) {
      // the process went away; its exit says why
    }
    if (problem != null) {
      close();
      sink.ended(problem);
      return;
    }
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        close();
        sink.ended("it closed its standard output but did not exit; stopped it");
        return;
      }
      // Let the standard error reader catch up with the last line.
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
      int code = process.exitValue();
      sink.ended("exited with " + code + (lastError.isEmpty() ? "" : " (" + lastError + ")"));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Reads chunks until the end, handing them on no faster than real time. */
  private static void pace(DataInputStream in, ResourceConfig.Audio format, Sink sink) throws IOException {
    int size = chunkBytes(format);
    long nanosPerChunk = TimeUnit.MILLISECONDS.toNanos(CHUNK_MILLIS);
    long start = System.nanoTime();
    long chunks = 0;
    while (true) {
      byte[] chunk = new byte[size];
      int n = in.readNBytes(chunk, 0, size);
      int whole = n - n % format.frameBytes();
      if (whole > 0) sink.chunk(whole == size ? chunk : java.util.Arrays.copyOf(chunk, whole));
      if (n < size) return;
      chunks++;
      long due = start + chunks * nanosPerChunk;
      long now = System.nanoTime();
      if (now - due > TimeUnit.SECONDS.toNanos(1)) {
        // Far behind (the command stalled): go on from now rather than rush to catch up.
        start = now;
        chunks = 0;
      } else if (due - now > nanosPerChunk) {
        // Ahead by more than a chunk: a generator. Wait; the pipe holds it back meanwhile.
        LockSupport.parkNanos(due - now - nanosPerChunk);
      }
    }
  }

  /** Null when {@code in} starts with a WAVE header of {@code format} (now read); else why not. */
  static String readWavHeader(DataInputStream in, ResourceConfig.Audio format) throws IOException {
    try {
      byte[] riff = in.readNBytes(12);
      if (riff.length < 12 || !new String(riff, 0, 4, StandardCharsets.US_ASCII).equals("RIFF")
          || !new String(riff, 8, 4, StandardCharsets.US_ASCII).equals("WAVE")) {
        return "its output is not a WAV stream (no RIFF/WAVE header)";
      }
      int read = 12;
      boolean fmt = false;
      while (read < MAX_WAV_HEADER) {
        String id = new String(in.readNBytes(4), StandardCharsets.US_ASCII);
        long length = Integer.toUnsignedLong(Integer.reverseBytes(in.readInt()));
        read += 8;
        if (id.equals("data")) {
          return fmt ? null : "its WAV stream has no fmt chunk before its data";
        }
        if (length > MAX_WAV_HEADER - read) return "its WAV header is longer than " + MAX_WAV_HEADER + " bytes";
        byte[] body = in.readNBytes((int) (length + (length & 1)));
        read += body.length;
        if (id.equals("fmt ") && body.length >= 16) {
          java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(body).order(java.nio.ByteOrder.LITTLE_ENDIAN);
          int tag = b.getShort(0) & 0xffff;
          int channels = b.getShort(2) & 0xffff;
          int rate = b.getInt(4);
          int bits = b.getShort(14) & 0xffff;
          if (tag != 1 || bits != 16 || channels != format.channels() || rate != format.rate()) {
            return "it writes WAV of format " + tag + ", " + rate + " Hz, " + channels + " channel(s), " + bits
                + " bits, not PCM of " + format.rate() + " Hz, " + format.channels() + " channel(s), 16 bits as"
                + " configured";
          }
          fmt = true;
        }
      }
      return "its WAV header is longer than " + MAX_WAV_HEADER + " bytes";
    } catch (EOFException e) {
      return "its output ended within the WAV header";
    }
  }

  /** Stops the command (and what it started). */
  @Override
  public void close() {
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
  }
}
