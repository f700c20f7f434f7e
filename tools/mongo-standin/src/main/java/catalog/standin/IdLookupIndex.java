package catalog.standin;

import java.util.List;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.bson.Document;

/**
 * Lets a query that pins {@code _id} (a value, or {@code $in}) together with other predicates
 * use the collection's {@code _id_} index, as MongoDB does. mongo-java-server only uses an
 * index whose keys equal the query's keys, so {@code {_id: 5, version: {$lt: 3}}} (the
 * service's version-guarded upsert) scanned the whole collection. This index returns the
 * positions the {@code _id} part selects; the collection then matches the whole query on
 * those documents, so results are unchanged. It holds no data of its own.
 */
final class IdLookupIndex<P> extends Index<P> {

    static final String NAME = "_id_lookup_";
    private static final String ID = "_id";

    private final MongoCollection<P> collection;

    IdLookupIndex(MongoCollection<P> collection) {
        // Sparse: the collection then accepts that remove() finds no entry here (there are none).
        super(NAME, List.of(new IndexKey(ID, true)), true);
        this.collection = collection;
    }

    private Index<P> idIndex() {
        for (Index<P> index : collection.getIndexes()) {
            if (index != this && "_id_".equals(index.getName())) {
                return index;
            }
        }
        return null;
    }

    @Override
    public boolean canHandle(Document query) {
        if (query.size() < 2 || !query.containsKey(ID)) {
            return false; // a query on _id alone is the _id_ index's own
        }
        Index<P> idIndex = idIndex();
        return idIndex != null && idIndex.canHandle(new Document(ID, query.get(ID)));
    }

    @Override
    public Iterable<P> getPositions(Document query) {
        return idIndex().getPositions(new Document(ID, query.get(ID)));
    }

    @Override
    public P getPosition(Document document) {
        Index<P> idIndex = idIndex();
        return idIndex == null ? null : idIndex.getPosition(document);
    }

    @Override
    public void checkAdd(Document document, MongoCollection<P> collection) {
    }

    @Override
    public void add(Document document, P position, MongoCollection<P> collection) {
    }

    @Override
    public P remove(Document document) {
        return null;
    }

    @Override
    public long getCount() {
        Index<P> idIndex = idIndex();
        return idIndex == null ? 0 : idIndex.getCount();
    }

    @Override
    public boolean isEmpty() {
        return false; // nothing to build from existing documents
    }

    @Override
    public long getDataSize() {
        return 0;
    }

    @Override
    public void checkUpdate(Document oldDocument, Document newDocument, MongoCollection<P> collection) {
    }

    @Override
    public void updateInPlace(Document oldDocument, Document newDocument, P position, MongoCollection<P> collection) {
    }

    @Override
    public void drop() {
    }

    static <P> MongoCollection<P> install(MongoCollection<P> collection) {
        if (collection.getCollectionName().startsWith("system.")) {
            return collection;
        }
        boolean present = collection.getIndexes().stream().anyMatch(i -> NAME.equals(i.getName()));
        if (!present) {
            collection.addIndex(new IdLookupIndex<>(collection));
        }
        return collection;
    }

    /** Removes the index before its collection is dropped (a dropped collection must have none). */
    static void uninstall(MongoCollection<?> collection) {
        if (collection != null && collection.getIndexes().stream().anyMatch(i -> NAME.equals(i.getName()))) {
            collection.dropIndex(NAME);
        }
    }
}
