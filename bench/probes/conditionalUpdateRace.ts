import { MongoClient } from 'mongodb';

/**
 * How many of N concurrent conditional updates on one document win? Each does
 * findOneAndUpdate({ _id, version: 0 }, { $set: { version: 1, winner: i } }); on an atomic backend exactly
 * one matches. Also: do N concurrent inserts of one unique key leave one document?
 * Usage: node --import tsx bench/conditionalUpdateRace.ts mongodb://127.0.0.1:27017/ [N] [rounds]
 */
const uri = process.argv[2] ?? 'mongodb://127.0.0.1:27017/';
const n = Number(process.argv[3] ?? 20);
const rounds = Number(process.argv[4] ?? 20);

const client = new MongoClient(uri, { maxPoolSize: n });
await client.connect();
const coll = client.db('race_probe').collection<{ _id: string; version: number; winner?: number }>('docs');
const uniq = client.db('race_probe').collection<{ key: string; by: number }>('uniq');
await uniq.createIndex({ key: 1 }, { unique: true });

const winnersPerRound: number[] = [];
const uniqueDocsPerRound: number[] = [];
const updateOneWinnersPerRound: number[] = [];
for (let r = 0; r < rounds; r++) {
  const id = `doc-${Date.now()}-${r}`;
  await coll.insertOne({ _id: id, version: 0 });
  const results = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      coll.findOneAndUpdate({ _id: id, version: 0 }, { $set: { version: 1, winner: i } }).catch(() => null),
    ),
  );
  winnersPerRound.push(results.filter((doc) => doc !== null).length);

  const id2 = `doc2-${Date.now()}-${r}`;
  await coll.insertOne({ _id: id2, version: 0 });
  const updates = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      coll.updateOne({ _id: id2, version: 0 }, { $set: { version: 1, winner: i } }).catch(() => null),
    ),
  );
  updateOneWinnersPerRound.push(updates.filter((res) => res?.modifiedCount === 1).length);

  const key = `key-${Date.now()}-${r}`;
  await Promise.all(Array.from({ length: n }, (_, i) => uniq.insertOne({ key, by: i }).catch(() => undefined)));
  uniqueDocsPerRound.push(await uniq.countDocuments({ key }));
}
await client.db('race_probe').dropDatabase();
await client.close();
const summary = (xs: number[]) =>
  `min ${Math.min(...xs)}, max ${Math.max(...xs)}, rounds not 1: ${xs.filter((x) => x !== 1).length}`;
console.log(`${uri}: ${n} concurrent conditional updates x ${rounds} rounds: winners ${summary(winnersPerRound)}`);
console.log(`${uri}: ${n} concurrent updateOne x ${rounds} rounds: modified ${summary(updateOneWinnersPerRound)}`);
console.log(`${uri}: ${n} concurrent unique inserts x ${rounds} rounds: documents ${summary(uniqueDocsPerRound)}`);
