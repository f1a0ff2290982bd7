package io.rackshare.serialization;

/**
 * Marker for every message and value that crosses JVMs. The {@code serialization-bindings} in
 * {@code reference.conf} bind it to {@link KryoSerializer}; Java serialization is off.
 */
public interface RackshareSerializable {}
