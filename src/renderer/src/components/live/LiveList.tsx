import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useLayoutEffect, useRef } from 'react';
import type { LiveItem } from '../../../../shared/live.js';

const ROW_HEIGHT = 30;
/** The feed's columns, in the order every row lays them out (live.css's grid). */
const LIVE_COLUMNS = ['Time (UTC)', 'User', 'Type / channel', 'Tool', 'Outcome', 'Credits', 'Message'];

function time(item: LiveItem): string {
  const t = item.event ? Date.parse(item.event.timestamp) || item.receivedAt : item.receivedAt;
  return new Date(t).toISOString().slice(11, 23);
}

function outcome(item: LiveItem): { label: string; cls: string } | null {
  const e = item.event;
  if (!e) return null;
  if (e.event_type === 'error' || e.success === false) return { label: 'failed', cls: 'bad' };
  if (e.event_type === 'completion') {
    const s = String(e.content.completion_status ?? 'completed');
    return { label: s.replace(/_/g, ' '), cls: s === 'completed' ? 'good' : 'warn' };
  }
  if (e.success === true) return { label: 'ok', cls: 'good' };
  return null;
}

function text(item: LiveItem): string {
  const e = item.event;
  if (!e) {
    // The seed's user_context message: show what the user said rather than the JSON around it.
    try {
      const v = JSON.parse(item.raw ?? '') as { data?: { message?: unknown }; message?: unknown };
      const m = v.data?.message ?? v.message;
      if (typeof m === 'string') return m;
    } catch {
      // not JSON: show it as it came
    }
    return item.raw ?? '';
  }
  const c = e.content;
  if (typeof c.message === 'string') return c.message;
  if (typeof c.error === 'string') return c.error;
  if (c.params && typeof c.params === 'object') return Object.entries(c.params as Record<string, unknown>).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
  return '';
}

/**
 * The feed, newest at the bottom, virtualized (only the visible rows are in the DOM). In follow mode it sticks to the
 * bottom; scrolling up turns follow off (onFollowChange), scrolling back to the bottom turns it on again.
 */
export function LiveList({
  items,
  follow,
  onFollowChange,
  onOpenUser,
  empty,
}: {
  items: LiveItem[];
  follow: boolean;
  onFollowChange: (f: boolean) => void;
  onOpenUser: (userId: string) => void;
  /** What the feed says while it shows no row (nothing arrived yet, or the filters hide everything). */
  empty: string;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const programmatic = useRef(false);
  const virtualizer = useVirtualizer({ count: items.length, getScrollElement: () => scrollRef.current, estimateSize: () => ROW_HEIGHT, overscan: 8 });

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!follow || !el || items.length === 0) return;
    programmatic.current = true;
    el.scrollTop = el.scrollHeight;
  }, [items, follow]);

  useEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const onScroll = () => {
      if (programmatic.current) {
        programmatic.current = false;
        return;
      }
      const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < ROW_HEIGHT;
      onFollowChange(atBottom);
    };
    el.addEventListener('scroll', onScroll, { passive: true });
    return () => el.removeEventListener('scroll', onScroll);
  }, [onFollowChange]);

  return (
    <div className="live-frame">
      <div className="live-row live-head" role="row" data-testid="live-head">
        {LIVE_COLUMNS.map((c) => (
          <span key={c} role="columnheader">{c}</span>
        ))}
      </div>
      <div ref={scrollRef} className="live-scroll" data-testid="live-list" tabIndex={0} aria-label="Live events">
        {items.length === 0 && (
          <div className="live-empty" data-testid="live-empty">
            {empty}
          </div>
        )}
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((v) => {
            const item = items[v.index];
            const e = item.event;
            const o = outcome(item);
            return (
              <div
                key={item.key}
                className={`live-row${item.userId ? ' clickable' : ''}`}
                data-testid="live-row"
                data-key={item.key}
                data-event-id={e?.id}
                style={{ transform: `translateY(${v.start}px)`, height: ROW_HEIGHT }}
                onClick={() => item.userId && onOpenUser(item.userId)}
                title={item.userId ? `Open ${item.userId}` : undefined}
              >
                <span className="live-time">{time(item)}</span>
                <span className="live-user">{item.userId ?? '—'}</span>
                <span className="live-type">{e ? e.event_type.replace('_', ' ') : <span className="badge accent" title={item.channel ?? item.source}>{item.channel ?? item.source}</span>}</span>
                <span className="live-tool">{e?.tool_name ?? ''}</span>
                <span className="live-outcome">{o && <span className={`badge ${o.cls}`}>{o.label}</span>}</span>
                <span className="live-credits">{e?.credits_consumed ? `${e.credits_consumed} cr` : ''}</span>
                <span className="live-text">{text(item)}</span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
