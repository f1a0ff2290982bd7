package io.rackshare.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.serializers.ImmutableCollectionsSerializers;
import com.esotericsoftware.kryo.util.Pool;
import java.util.List;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.JSerializer;

/**
 * Pekko serializer for {@link RackshareSerializable} messages, over Kryo 5: pooled Kryo instances,
 * registration required with explicit ids (from the {@link KryoRegistrar}s in {@code
 * rackshare.serialization.kryo-registrars}), and typed {@link ActorRef}s written as their
 * serialization format and resolved on the receiving system.
 */
public final class KryoSerializer extends JSerializer {

  /** Pekko serializer id; 0-40 are Pekko's own. */
  public static final int IDENTIFIER = 0x52534b;

  private static final int ACTOR_REF_ID = 90;

  private final ExtendedActorSystem system;
  private final List<KryoRegistrar> registrars;
  private volatile ActorRefResolver resolver;

  private final Pool<Kryo> kryos =
      new Pool<>(true, false, 64) {
        @Override
        protected Kryo create() {
          return newKryo();
        }
      };

  private final Pool<Output> outputs =
      new Pool<>(true, false, 64) {
        @Override
        protected Output create() {
          return new Output(4096, -1);
        }
      };

  public KryoSerializer(ExtendedActorSystem system) {
    this.system = system;
    this.registrars =
        system.settings().config().getStringList("rackshare.serialization.kryo-registrars").stream()
            .map(KryoSerializer::load)
            .toList();
  }

  private static KryoRegistrar load(String className) {
    try {
      return (KryoRegistrar) Class.forName(className).getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException | ClassCastException e) {
      throw new IllegalArgumentException(
          "rackshare.serialization.kryo-registrars: cannot load " + className + ": " + e, e);
    }
  }

  private Kryo newKryo() {
    Kryo kryo = new Kryo();
    kryo.setRegistrationRequired(true);
    kryo.setReferences(false);
    ImmutableCollectionsSerializers.addDefaultSerializers(kryo);
    kryo.register(actorRefClass(), new ActorRefSerializer(), ACTOR_REF_ID);
    for (KryoRegistrar r : registrars) r.registerClasses(kryo);
    return kryo;
  }

  /** The class of typed actor refs on this system (an adapter around a classic ref). */
  private Class<?> actorRefClass() {
    return Adapter.toTyped(system.deadLetters()).getClass();
  }

  private ActorRefResolver resolver() {
    ActorRefResolver r = resolver;
    if (r == null) {
      r = ActorRefResolver.get(Adapter.toTyped(system));
      resolver = r;
    }
    return r;
  }

  private final class ActorRefSerializer extends Serializer<ActorRef<?>> {
    ActorRefSerializer() {
      setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output output, ActorRef<?> ref) {
      output.writeString(resolver().toSerializationFormat(ref));
    }

    @Override
    public ActorRef<?> read(Kryo kryo, Input input, Class<? extends ActorRef<?>> type) {
      return resolver().resolveActorRef(input.readString());
    }
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public boolean includeManifest() {
    return false;
  }

  @Override
  public byte[] toBinary(Object o) {
    Kryo kryo = kryos.obtain();
    Output out = outputs.obtain();
    try {
      out.reset();
      kryo.writeClassAndObject(out, o);
      return out.toBytes();
    } catch (KryoException e) {
      throw new IllegalArgumentException(
          "cannot serialize " + o.getClass().getName() + " with Kryo: " + e.getMessage(), e);
    } finally {
      outputs.free(out);
      kryos.free(kryo);
    }
  }

  @Override
  public Object fromBinaryJava(byte[] bytes, Class<?> manifest) {
    Kryo kryo = kryos.obtain();
    try {
      return kryo.readClassAndObject(new Input(bytes));
    } catch (KryoException | IllegalArgumentException e) {
      // Malformed input: Pekko logs it and drops the message; nothing else is affected.
      throw new IllegalArgumentException(
          "cannot deserialize " + bytes.length + " bytes with Kryo: " + e.getMessage(), e);
    } finally {
      kryos.free(kryo);
    }
  }
}
