package catalog.standin;

import java.util.List;

import org.h2.mvstore.MVStore;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.AbstractMongoBackend;

/**
 * Serves the MongoDB wire protocol on a loopback port through mongo-java-server, for machines
 * where no MongoDB server package installs. Usage:
 *
 * <pre>java -jar mongo-standin.jar --port 27117 [--host 127.0.0.1] (--file PATH [--cache-mb 1024] | --memory)</pre>
 */
public final class MongoStandin {

    /** MongoDB 4.4 (wire version 9): the oldest server current pymongo accepts. */
    enum DeclaredVersion implements MongoVersion {
        MONGO_4_4(List.of(4, 4, 0), 9);

        private final List<Integer> versionArray;
        private final int wireVersion;

        DeclaredVersion(List<Integer> versionArray, int wireVersion) {
            this.versionArray = versionArray;
            this.wireVersion = wireVersion;
        }

        @Override
        public List<Integer> getVersionArray() {
            return versionArray;
        }

        @Override
        public int getWireVersion() {
            return wireVersion;
        }
    }

    private MongoStandin() {
    }

    public static void main(String[] args) {
        String host = "127.0.0.1";
        int port = 27017;
        String file = null;
        int cacheMb = 1024;
        boolean memory = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--host" -> host = args[++i];
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--file" -> file = args[++i];
                case "--cache-mb" -> cacheMb = Integer.parseInt(args[++i]);
                case "--memory" -> memory = true;
                default -> {
                    System.err.println("unknown argument: " + args[i]);
                    System.exit(2);
                }
            }
        }
        if (!memory && file == null) {
            System.err.println("give --file PATH (persistent) or --memory");
            System.exit(2);
        }

        AbstractMongoBackend backend;
        if (memory) {
            backend = new IdLookupBackends.Memory();
        } else {
            // A large page cache keeps collection scans near in-memory speed.
            MVStore store = new MVStore.Builder().fileName(file).cacheSize(cacheMb).open();
            backend = new IdLookupBackends.H2(store);
        }
        MongoBackend versioned = backend.version(DeclaredVersion.MONGO_4_4);
        MongoServer server = new MongoServer(versioned);
        server.bind(host, port);
        System.out.println("mongo-standin listening on " + host + ":" + port
            + (memory ? " (in memory)" : " (file " + file + ")"));

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdown();
            backend.close();
        }));
    }
}
