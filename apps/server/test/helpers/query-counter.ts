/** Counts the statements and transactions a Kysely instance runs, to test how writes are batched. */
import type { Kysely, KyselyPlugin } from 'kysely';
import type { DB } from '../../src/db/schema.ts';

/** A view of `db` that counts what goes through it (BEGIN and COMMIT are not statements here). */
export interface CountedDatabase {
  readonly db: Kysely<DB>;
  /** Statements run, by kind of query node (`SelectQueryNode`, `InsertQueryNode`, `RawNode`…). */
  readonly statements: string[];
  /** Transactions started. */
  transactions: number;
  reset(): void;
}

export function countQueries(db: Kysely<DB>): CountedDatabase {
  const plugin: KyselyPlugin = {
    transformQuery({ node }) {
      counted.statements.push(node.kind);
      return node;
    },
    transformResult: async ({ result }) => result,
  };
  const viewed = db.withPlugin(plugin);
  const transaction = viewed.transaction.bind(viewed);
  const counted: CountedDatabase = {
    db: Object.assign(viewed, {
      transaction: () => {
        counted.transactions++;
        return transaction();
      },
    }),
    statements: [],
    transactions: 0,
    reset() {
      counted.statements.length = 0;
      counted.transactions = 0;
    },
  };
  return counted;
}
