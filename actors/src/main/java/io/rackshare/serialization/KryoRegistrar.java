package io.rackshare.serialization;

import com.esotericsoftware.kryo.Kryo;

/**
 * Registers classes with explicit ids, the same on every node. Listed in {@code
 * rackshare.serialization.kryo-registrars}; each needs a public no-argument constructor. Ids
 * below 1000 belong to the core ({@link CoreRegistrations}); plug-ins take ranges above it.
 */
public interface KryoRegistrar {
  void registerClasses(Kryo kryo);
}
