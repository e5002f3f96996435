import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type OpenAI from 'openai';
import { z } from 'zod';
import type { IntentCluster, IntentClustersView } from '../../shared/intelligence.js';
import { redact, type RedactionKind } from '../../shared/redact.js';
import { clusterTexts, normalize, type DenseRows } from './cluster.js';
import { chatJson, createLlmClient, type LlmConfig } from '../llm/client.js';
import { ensureIntelligenceTables, logSent } from './store.js';

/**
 * Intent clusters of the workspace: the first user message of each conversation in the range (what the user came
 * for), clustered (cluster.ts; on embeddings when an endpoint is configured), named by top terms or by the LLM, each
 * with its business outcome. Groups with fewer than `minUsers` distinct users are never shown, so no cluster exposes
 * one person's messages.
 */
export interface IntentOptions {
  db: Database.Database;
  llm: LlmConfig | null;
  client?: OpenAI;
  since?: string;
  until?: string;
  k?: number;
  minUsers?: number;
  seed?: number;
  signal?: AbortSignal;
  progress?: (fraction: number, message: string) => void;
  /** Cap on distinct texts clustered (the most frequent are kept). */
  maxTexts?: number;
}

interface MessageRow {
  event_id: string;
  conversation_id: string;
  user_id: string;
  message: string;
  day: string;
}

const normalizeText = (t: string) => t.toLowerCase().replace(/\s+/g, ' ').trim();

function mondayOf(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString().slice(0, 10);
}

async function embed(client: OpenAI, config: LlmConfig, db: Database.Database, runId: string, texts: string[], signal?: AbortSignal): Promise<DenseRows> {
  const out: DenseRows = [];
  for (let i = 0; i < texts.length; i += 256) {
    const counts: Partial<Record<RedactionKind, number>> = {};
    const batch = texts.slice(i, i + 256).map((t) => {
      const r = redact(t);
      for (const [k, n] of Object.entries(r.counts)) counts[k as RedactionKind] = (counts[k as RedactionKind] ?? 0) + (n ?? 0);
      return r.text;
    });
    logSent(db, { runId, purpose: 'embeddings', conversationId: null, payload: batch, redactions: counts });
    const res = await client.embeddings.create({ model: config.embeddingsModel as string, input: batch }, { signal });
    for (const d of [...res.data].sort((a, b) => a.index - b.index)) out.push(normalize(Float64Array.from(d.embedding)));
  }
  return out;
}

const ClusterNames = z.object({ names: z.array(z.object({ id: z.number().int(), name: z.string().min(1).max(80) })) });

async function nameWithLlm(client: OpenAI, config: LlmConfig, db: Database.Database, runId: string, clusters: IntentCluster[], signal?: AbortSignal): Promise<Map<number, string> | null> {
  const counts: Partial<Record<RedactionKind, number>> = {};
  const listing = clusters
    .map((c) => {
      const examples = c.examples.slice(0, 5).map((e) => {
        const r = redact(e);
        for (const [k, n] of Object.entries(r.counts)) counts[k as RedactionKind] = (counts[k as RedactionKind] ?? 0) + (n ?? 0);
        return `  - ${r.text}`;
      });
      return `cluster ${c.id} (top terms: ${c.topTerms.join(', ')}):\n${examples.join('\n')}`;
    })
    .join('\n');
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
    { role: 'system', content: 'Name each cluster of user requests to an AI creation assistant with a short intent (2-5 words, e.g. "Birthday videos for family"). Return JSON {"names": [{"id": number, "name": string}]}.' },
    { role: 'user', content: listing },
  ];
  logSent(db, { runId, purpose: 'cluster-names', conversationId: null, payload: messages, redactions: counts });
  const res = await chatJson(client, config, messages, ClusterNames, { signal, schemaName: 'cluster_names' });
  if (!res.ok || !res.value) return null;
  return new Map(res.value.names.map((n) => [n.id, n.name]));
}

export async function runIntentClustering(opts: IntentOptions): Promise<IntentClustersView> {
  const { db } = opts;
  ensureIntelligenceTables(db);
  const runId = randomUUID();
  const minUsers = opts.minUsers ?? 3;
  const progress = opts.progress ?? (() => {});
  progress(0.05, 'Reading messages…');
  const where = ["e.event_type = 'message'", "COALESCE(e.role, 'user') = 'user'", "e.message IS NOT NULL AND e.message <> ''"];
  const params: string[] = [];
  if (opts.since) {
    where.push('e.day >= ?');
    params.push(opts.since);
  }
  if (opts.until) {
    where.push('e.day <= ?');
    params.push(opts.until);
  }
  // The first user message of each conversation: what the user came for.
  const rows = db
    .prepare(
      `SELECT event_id, conversation_id, user_id, message, day FROM (
         SELECT e.id AS event_id, e.conversation_id, e.user_id, e.message, e.day,
                ROW_NUMBER() OVER (PARTITION BY e.conversation_id ORDER BY e.ts, e.id) AS rn
           FROM events e WHERE ${where.join(' AND ')}) WHERE rn = 1`,
    )
    .all(...params) as MessageRow[];

  // Identical texts are clustered once (repeated prompts would otherwise dominate the neighbour graph).
  const byText = new Map<string, MessageRow[]>();
  for (const r of rows) {
    const key = normalizeText(r.message);
    if (!byText.has(key)) byText.set(key, []);
    (byText.get(key) as MessageRow[]).push(r);
  }
  const texts = [...byText.keys()].sort((a, b) => (byText.get(b)?.length ?? 0) - (byText.get(a)?.length ?? 0)).slice(0, opts.maxTexts ?? 20_000);
  const config = opts.llm;
  const client = config ? (opts.client ?? createLlmClient(config)) : null;
  let method: IntentClustersView['method'] = 'tfidf-spectral';
  let vectors: DenseRows | undefined;
  if (client && config?.embeddingsModel && texts.length) {
    progress(0.15, 'Embedding messages…');
    vectors = await embed(client, config, db, runId, texts, opts.signal);
    method = 'embeddings-spectral';
  }
  if (opts.signal?.aborted) throw new Error('cancelled');
  progress(0.35, `Clustering ${texts.length} distinct messages…`);
  const clustering =
    texts.length >= 2
      ? clusterTexts(texts, { k: opts.k, vectors, seed: opts.seed ?? 1, minK: 2 })
      : { labels: Int32Array.from(texts.map(() => 0)), k: texts.length, chosenBy: 'given' as const, topTerms: [[]] as string[][], representatives: [texts.map((_, i) => i)] };

  progress(0.7, 'Measuring outcomes…');
  const members = new Map<number, MessageRow[]>();
  texts.forEach((t, i) => {
    const c = clustering.labels[i];
    if (!members.has(c)) members.set(c, []);
    (members.get(c) as MessageRow[]).push(...(byText.get(t) as MessageRow[]));
  });
  const latestDay = (db.prepare('SELECT MAX(day) AS d FROM agg_user_day').get() as { d: string | null }).d;
  const clusters: IntentCluster[] = [];
  let hidden = 0;
  const insertMember = db.prepare('INSERT INTO ai_intent_members (run_id, event_id, cluster_id) VALUES (?, ?, ?)');
  const memberRows: Array<[string, number]> = [];
  for (const [id, list] of [...members.entries()].sort((a, b) => b[1].length - a[1].length)) {
    const users = new Set(list.map((m) => m.user_id));
    if (users.size < minUsers) {
      hidden += list.length;
      for (const m of list) memberRows.push([m.event_id, -1]);
      continue;
    }
    for (const m of list) memberRows.push([m.event_id, id]);
    const conversationIds = [...new Set(list.map((m) => m.conversation_id))];
    // Examples: the most typical texts of the cluster (closest to its centroid), each in its most frequent wording.
    const examples = (clustering.representatives[id] ?? []).slice(0, 5).map((i) => {
      const variants = new Map<string, number>();
      for (const m of byText.get(texts[i]) ?? []) variants.set(m.message, (variants.get(m.message) ?? 0) + 1);
      return [...variants.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? texts[i];
    });
    const trend = new Map<string, number>();
    for (const m of list) trend.set(mondayOf(m.day), (trend.get(mondayOf(m.day)) ?? 0) + 1);
    clusters.push({
      id,
      label: (clustering.topTerms[id] ?? []).slice(0, 3).join(' · ') || 'misc',
      topTerms: clustering.topTerms[id] ?? [],
      messages: list.length,
      users: users.size,
      share: rows.length ? list.length / rows.length : 0,
      examples,
      trend: [...trend.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([week, messages]) => ({ week, messages })),
      outcome: outcomeOf(db, [...users], conversationIds, latestDay),
      conversationIds: conversationIds.slice(0, 200),
    });
  }
  db.transaction(() => {
    for (const [eventId, clusterId] of memberRows) insertMember.run(runId, eventId, clusterId);
  })();

  let namedBy: IntentClustersView['namedBy'] = 'terms';
  if (client && config && clusters.length) {
    progress(0.85, 'Naming clusters…');
    const names = await nameWithLlm(client, config, db, runId, clusters, opts.signal);
    if (names) {
      namedBy = 'llm';
      for (const c of clusters) c.label = names.get(c.id) ?? c.label;
    }
  }
  const insertCluster = db.prepare('INSERT INTO ai_intent_clusters (run_id, cluster_id, label, top_terms, messages, users) VALUES (?, ?, ?, ?, ?, ?)');
  for (const c of clusters) insertCluster.run(runId, c.id, c.label, JSON.stringify(c.topTerms), c.messages, c.users);
  const view: IntentClustersView = {
    runId,
    computedAt: new Date().toISOString(),
    method,
    k: clustering.k,
    chosenBy: clustering.chosenBy,
    namedBy,
    totalMessages: rows.length,
    hiddenMessages: hidden,
    minUsers,
    clusters,
  };
  db.prepare("INSERT INTO ai_results (kind, run_id, computed_at, payload) VALUES ('intents', ?, ?, ?) ON CONFLICT (kind) DO UPDATE SET run_id = excluded.run_id, computed_at = excluded.computed_at, payload = excluded.payload").run(runId, view.computedAt, JSON.stringify(view));
  progress(1, `${clusters.length} intent clusters`);
  return view;
}

function outcomeOf(db: Database.Database, users: string[], conversationIds: string[], latestDay: string | null): IntentCluster['outcome'] {
  // json_each: one bound parameter whatever the cluster's size (SQLite caps the number of parameters).
  const u = db
    .prepare(
      `SELECT COUNT(*) AS n, SUM(first_creation_at IS NOT NULL) AS activated,
              SUM(CASE WHEN signup_day IS NOT NULL AND date(signup_day, '+7 days') <= ? THEN 1 ELSE 0 END) AS eligible,
              SUM(CASE WHEN signup_day IS NOT NULL AND date(signup_day, '+7 days') <= ? AND EXISTS (
                    SELECT 1 FROM agg_user_day a WHERE a.user_id = users.user_id AND a.day = date(users.signup_day, '+7 days')) THEN 1 ELSE 0 END) AS retained
         FROM users WHERE user_id IN (SELECT value FROM json_each(?))`,
    )
    .get(latestDay ?? '0000-00-00', latestDay ?? '0000-00-00', JSON.stringify(users)) as { n: number; activated: number | null; eligible: number | null; retained: number | null };
  const c = db
    .prepare(`SELECT COUNT(*) AS n, SUM(COALESCE(credits_used, 0)) AS credits FROM conversations WHERE id IN (SELECT value FROM json_each(?))`)
    .get(JSON.stringify(conversationIds)) as { n: number; credits: number | null };
  const t = db
    .prepare(`SELECT COUNT(*) AS calls, SUM(success = 0) AS failed FROM events WHERE event_type = 'tool_call' AND conversation_id IN (SELECT value FROM json_each(?))`)
    .get(JSON.stringify(conversationIds)) as { calls: number; failed: number | null };
  return {
    activationRate: u.n ? (u.activated ?? 0) / u.n : null,
    day7Retention: u.eligible ? (u.retained ?? 0) / u.eligible : null,
    creditsPerConversation: c.n ? (c.credits ?? 0) / c.n : null,
    errorRate: t.calls ? (t.failed ?? 0) / t.calls : null,
  };
}

export function latestIntentClusters(db: Database.Database): IntentClustersView | null {
  ensureIntelligenceTables(db);
  const row = db.prepare("SELECT payload FROM ai_results WHERE kind = 'intents'").get() as { payload: string } | undefined;
  return row ? (JSON.parse(row.payload) as IntentClustersView) : null;
}
