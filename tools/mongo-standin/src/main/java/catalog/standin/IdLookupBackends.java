package catalog.standin;

import org.h2.mvstore.MVStore;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.backend.memory.MemoryCollection;
import de.bwaldvogel.mongo.backend.memory.MemoryDatabase;
import de.bwaldvogel.mongo.oplog.Oplog;

/** The H2 and in-memory backends, with {@link IdLookupIndex} on every collection. */
final class IdLookupBackends {

    private IdLookupBackends() {
    }

    static final class H2 extends H2Backend {
        H2(MVStore store) {
            super(store);
        }

        @Override
        protected MongoDatabase openOrCreateDatabase(String databaseName) {
            return new H2Database(databaseName, getMvStore(), getCursorRegistry()) {
                @Override
                protected MongoCollection<Object> openOrCreateCollection(String name, CollectionOptions options) {
                    return IdLookupIndex.install(super.openOrCreateCollection(name, options));
                }

                @Override
                public void dropCollection(String name, Oplog oplog) {
                    IdLookupIndex.uninstall(resolveCollection(name, false));
                    super.dropCollection(name, oplog);
                }
            };
        }
    }

    static final class Memory extends MemoryBackend {
        @Override
        public MemoryDatabase openOrCreateDatabase(String databaseName) {
            return new MemoryDatabase(databaseName, getCursorRegistry()) {
                @Override
                protected MemoryCollection openOrCreateCollection(String name, CollectionOptions options) {
                    MemoryCollection collection = super.openOrCreateCollection(name, options);
                    IdLookupIndex.install(collection);
                    return collection;
                }

                @Override
                public void dropCollection(String name, Oplog oplog) {
                    IdLookupIndex.uninstall(resolveCollection(name, false));
                    super.dropCollection(name, oplog);
                }
            };
        }
    }
}
