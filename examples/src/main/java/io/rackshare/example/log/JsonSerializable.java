package io.rackshare.example.log;

/**
 * Marks the messages that travel between blades (the HTTP endpoint of one blade asks the writer
 * on another): Pekko serializes them as JSON ({@code reference.conf} binds this interface to
 * {@code jackson-json}).
 */
public interface JsonSerializable {}
