import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { EVENT_TYPES } from '../../../shared/event.js';
import { LIVE_CAPACITY, matchesLive, type LiveFilter, type LiveItem, type LiveSourceStatus, type LiveStats } from '../../../shared/live.js';
import { invoke, RpcError } from '../api/client.js';
import { useTopic } from '../api/hooks.js';
import { LiveList } from '../components/live/LiveList.js';
import { Sparkline } from '../components/live/Sparkline.js';
import '../components/live/live.css';
import { Card, ErrorState, PageHeader } from '../components/ui.js';
import { navigate } from '../router.js';

const fmt = (n: number) => (n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : n.toLocaleString('en-US'));

/** Appends and keeps the newest LIVE_CAPACITY items. */
function capped(list: LiveItem[], add: LiveItem[]): LiveItem[] {
  const next = list.concat(add);
  return next.length > LIVE_CAPACITY ? next.slice(next.length - LIVE_CAPACITY) : next;
}

/** The feed's words while it shows no row: why, and what will fill it. */
function emptyFeed(received: number, status: LiveSourceStatus | null): string {
  if (received > 0) return `No event matches the filters (${fmt(received)} received). Clear a filter to see them.`;
  if (!status) return 'Connecting to the live feed…';
  if (status.mode === 'demo') return 'Waiting for the demo simulator’s first event…';
  if (status.mode === 'redis') return 'Waiting for events. Everything the chat platform sends through POST /v1/events, the library or SQL appears here as it is stored.';
  return 'No live source: connect this workspace to Redis in Settings to see events as they arrive.';
}

export default function LivePage() {
  const [items, setItems] = useState<LiveItem[]>([]);
  const [stats, setStats] = useState<LiveStats | null>(null);
  const [status, setStatus] = useState<LiveSourceStatus | null>(null);
  const [error, setError] = useState<RpcError | null>(null);
  const [filter, setFilter] = useState<LiveFilter>({});
  const [follow, setFollow] = useState(true);
  const [paused, setPaused] = useState(false);
  const [heldBack, setHeldBack] = useState(0);
  const [subKind, setSubKind] = useState<'channel' | 'pattern'>('channel');
  const [subName, setSubName] = useState('');
  const [subError, setSubError] = useState<string | null>(null);
  const loaded = useRef(false);
  const early = useRef<LiveItem[]>([]);
  const held = useRef<LiveItem[]>([]);
  const pausedRef = useRef(false);
  pausedRef.current = paused;
  /** Batch numbering: a jump means batches were missed (the event stream reconnected), so reload the recent items. */
  const lastSeq = useRef(0);
  /** Keys of the last reload: the first batches after it may repeat items it already had. */
  const reloadedKeys = useRef<Set<string> | null>(null);

  const load = useCallback(() => {
    setError(null);
    loaded.current = false;
    invoke('live.recent', { limit: LIVE_CAPACITY }).then(
      (r) => {
        const known = new Set(r.items.map((i) => i.key));
        const extra = early.current.filter((i) => !known.has(i.key));
        early.current = [];
        reloadedKeys.current = known;
        lastSeq.current = r.seq;
        loaded.current = true;
        setItems(capped(r.items, extra));
        setStats(r.stats);
        setStatus(r.status);
      },
      (e: unknown) => setError(e instanceof RpcError ? e : new RpcError('internal', String(e))),
    );
  }, []);
  useEffect(load, [load]);

  // Another workspace: its feed replaces this one (the core starts it on the next live.recent).
  useTopic('workspace.changed', () => {
    early.current = [];
    load();
  });

  useTopic('live.batch', (batch) => {
    setStats(batch.stats);
    setStatus(batch.status);
    if (!loaded.current) {
      early.current = capped(early.current, batch.items);
      return;
    }
    if (batch.seq !== lastSeq.current + 1) {
      // An older batch repeated: nothing new. A jump (batches missed while the event stream reconnected) or a new
      // feed (seq back to 1: the core restarted or the workspace changed): the core kept the items, reload them.
      if (batch.seq <= lastSeq.current && batch.seq !== 1) return;
      early.current = batch.items;
      load();
      return;
    }
    lastSeq.current = batch.seq;
    let fresh = batch.items;
    if (reloadedKeys.current) {
      const seen = reloadedKeys.current;
      fresh = fresh.filter((i) => !seen.has(i.key));
      if (fresh.length === batch.items.length) reloadedKeys.current = null;
    }
    if (fresh.length === 0) return;
    if (pausedRef.current) {
      // Paused: the list stands still; what arrives is kept and shown on resume.
      held.current = capped(held.current, fresh);
      setHeldBack(held.current.length);
      return;
    }
    setItems((list) => capped(list, fresh));
  });

  const resume = () => {
    const waiting = held.current;
    held.current = [];
    setItems((list) => capped(list, waiting));
    setHeldBack(0);
    setPaused(false);
    setFollow(true);
  };

  const visible = useMemo(() => (Object.values(filter).some((v) => v !== undefined && v !== '') ? items.filter((i) => matchesLive(i, filter)) : items), [items, filter]);
  // Tools seen so far, for the filter menu: grows only when a new tool appears (not recomputed over 5,000 items per batch).
  const toolSet = useRef(new Set<string>());
  const lastFullScan = useRef(0);
  const [tools, setTools] = useState<string[]>([]);
  useEffect(() => {
    const before = toolSet.current.size;
    // The newest items every batch, everything once a second (a reload brings older items at once).
    const full = Date.now() - lastFullScan.current > 1000;
    if (full) lastFullScan.current = Date.now();
    for (let i = full ? 0 : Math.max(0, items.length - 500); i < items.length; i++) {
      const t = items[i].event?.tool_name;
      if (t) toolSet.current.add(t);
    }
    if (toolSet.current.size !== before) setTools([...toolSet.current].sort());
  }, [items]);
  const set = (patch: Partial<LiveFilter>) => setFilter((f) => ({ ...f, ...patch }));
  const openUser = useCallback((userId: string) => navigate('users', userId), []);

  const addSubscription = async () => {
    setSubError(null);
    try {
      setStatus(await invoke('live.subscribe', { kind: subKind, name: subName }));
      setSubName('');
    } catch (e) {
      setSubError((e as Error).message);
    }
  };
  const removeSubscription = async (kind: 'channel' | 'pattern', name: string) => setStatus(await invoke('live.unsubscribe', { kind, name }));

  if (error) return <ErrorState error={error} onRetry={load} />;
  const sparkline = stats?.sparkline ?? [];
  const perSecond = sparkline.length ? sparkline[sparkline.length - 2] ?? 0 : 0;

  return (
    <>
      <PageHeader
        title="Live"
        subtitle="Every event as it arrives. Click an event to open the user."
        actions={
          <span className="live-status" data-testid="live-status" title={status?.message}>
            <span className={`live-dot ${status?.state ?? ''}`} />
            {status ? `${status.mode === 'demo' ? 'Demo simulator' : status.mode === 'redis' ? 'Redis stream' : 'Not connected'} · ${status.state}` : 'Connecting…'}
          </span>
        }
      />
      {status?.mode === 'none' && <div className="banner">{status.message}</div>}

      <div className="tiles">
        <div className="tile" data-testid="tile-events">
          <div className="tile-label">Events / min</div>
          <div className="tile-value">{fmt(stats?.eventsPerMin ?? 0)}</div>
          <Sparkline values={sparkline} label={`Events per second, last minute; now ${perSecond}/s`} />
        </div>
        <div className="tile" data-testid="tile-users">
          <div className="tile-label">Active users now</div>
          <div className="tile-value">{fmt(stats?.activeUsers ?? 0)}</div>
          <div className="tile-sub">seen in the last 5 minutes</div>
        </div>
        <div className={`tile ${(stats?.errorsPerMin ?? 0) > 0 ? 'hot' : ''}`} data-testid="tile-errors">
          <div className="tile-label">Errors / min</div>
          <div className="tile-value">{fmt(stats?.errorsPerMin ?? 0)}</div>
          <div className="tile-sub">{stats && stats.eventsPerMin ? `${Math.round((stats.errorsPerMin / stats.eventsPerMin) * 100)}% of events` : '—'}</div>
        </div>
        <div className="tile" data-testid="tile-credits">
          <div className="tile-label">Credits / min</div>
          <div className="tile-value">{fmt(stats?.creditsPerMin ?? 0)}</div>
          <div className="tile-sub">{fmt(stats?.total ?? 0)} events since the feed started</div>
        </div>
      </div>

      <Card>
        <div className="live-toolbar" role="search">
          <input aria-label="Filter by user" placeholder="user id" value={filter.user ?? ''} onChange={(e) => set({ user: e.target.value || undefined })} />
          <select aria-label="Filter by tool" value={filter.tool ?? ''} onChange={(e) => set({ tool: e.target.value || undefined })}>
            <option value="">all tools</option>
            {tools.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
          <select aria-label="Filter by event type" value={filter.type ?? ''} onChange={(e) => set({ type: (e.target.value || undefined) as LiveFilter['type'] })}>
            <option value="">all types</option>
            {EVENT_TYPES.map((t) => (
              <option key={t} value={t}>
                {t.replace('_', ' ')}
              </option>
            ))}
          </select>
          <select aria-label="Filter by outcome" value={filter.success === undefined ? '' : String(filter.success)} onChange={(e) => set({ success: e.target.value === '' ? undefined : e.target.value === 'true' })}>
            <option value="">any outcome</option>
            <option value="true">succeeded</option>
            <option value="false">failed</option>
          </select>
          <input className="wide" aria-label="Filter by text" placeholder="text in message or error" value={filter.text ?? ''} onChange={(e) => set({ text: e.target.value || undefined })} />
          <span className="spacer" />
          {paused ? (
            <button className="btn primary" onClick={resume} data-testid="live-resume">
              Resume{heldBack ? ` (${fmt(heldBack)} new)` : ''}
            </button>
          ) : (
            <button className="btn" onClick={() => setPaused(true)} data-testid="live-pause">
              Pause
            </button>
          )}
          <button className={`btn ${follow ? 'primary' : ''}`} onClick={() => setFollow((f) => !f)} aria-pressed={follow} data-testid="live-follow">
            {follow ? 'Following' : 'Follow'}
          </button>
        </div>
        <LiveList items={visible} follow={follow && !paused} onFollowChange={setFollow} onOpenUser={openUser} empty={emptyFeed(items.length, status)} />
        <div className="live-foot">
          <span data-testid="live-count">
            {fmt(visible.length)} shown{visible.length !== items.length ? ` of ${fmt(items.length)}` : ''} · keeps the newest {fmt(LIVE_CAPACITY)}
          </span>
          <span>{status?.lastId ? `stream position ${status.lastId}` : status?.message}</span>
        </div>
      </Card>

      {status?.mode === 'redis' && (
        <Card title="Pub/sub channels" subtitle="Also tail any channel or pattern, e.g. user_context or chat:* (messages sent while not subscribed are not kept).">
          <form
            className="live-toolbar"
            onSubmit={(e) => {
              e.preventDefault();
              void addSubscription();
            }}
          >
            <select aria-label="Subscription kind" value={subKind} onChange={(e) => setSubKind(e.target.value as 'channel' | 'pattern')}>
              <option value="channel">channel</option>
              <option value="pattern">pattern</option>
            </select>
            <input className="wide" aria-label="Channel or pattern" placeholder={subKind === 'channel' ? 'user_context' : 'chat:*'} value={subName} onChange={(e) => setSubName(e.target.value)} />
            <button className="btn" type="submit" disabled={!subName.trim()}>
              Subscribe
            </button>
            {subError && <span className="badge bad">{subError}</span>}
          </form>
          <div className="live-chips">
            {status.subscriptions.map((s) => (
              <span className="live-chip" key={`${s.kind}:${s.name}`}>
                {s.kind === 'pattern' ? 'pattern ' : ''}
                {s.name}
                <button aria-label={`Unsubscribe ${s.name}`} onClick={() => void removeSubscription(s.kind, s.name)}>
                  ×
                </button>
              </span>
            ))}
          </div>
        </Card>
      )}
    </>
  );
}
