// One statement on a PostgreSQL server over a connection of its own (creating and dropping scratch
// databases), for tests and benchmarks alike; nothing here runs on import.
import pg from 'pg';

export async function adminQuery(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
