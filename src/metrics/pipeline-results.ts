/** The replies of a Redis pipeline read at scrape time: the first error thrown, else the values in order. */
type Row = [Error | null, unknown];

export function pipelineResults(rows: Row[] | null): unknown[] {
  if (!rows) throw new Error('Redis pipeline was aborted');
  const failed = rows.find(([err]) => err);
  if (failed?.[0]) throw failed[0];
  return rows.map(([, value]) => value);
}
