import type { ReactNode } from 'react';
import type { RpcError } from '../api/client.js';

export function PageHeader({ title, subtitle, actions }: { title: string; subtitle?: string; actions?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {subtitle && <p className="muted">{subtitle}</p>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </header>
  );
}

export function Card({ title, subtitle, children, actions, className }: { title?: string; subtitle?: string; children: ReactNode; actions?: ReactNode; className?: string }) {
  return (
    <section className={`card ${className ?? ''}`}>
      {(title || actions) && (
        <div className="card-head">
          <div>
            {title && <h2>{title}</h2>}
            {subtitle && <p className="muted small">{subtitle}</p>}
          </div>
          {actions}
        </div>
      )}
      {children}
    </section>
  );
}

export function EmptyState({ title, body, action }: { title: string; body?: string; action?: ReactNode }) {
  return (
    <div className="state state-empty" role="status">
      <div className="state-icon" aria-hidden>◌</div>
      <h3>{title}</h3>
      {body && <p className="muted">{body}</p>}
      {action}
    </div>
  );
}

export function ErrorState({ error, onRetry }: { error: RpcError | Error; onRetry?: () => void }) {
  const offline = 'code' in error && error.code === 'offline';
  return (
    <div className="state state-error" role="alert">
      <div className="state-icon" aria-hidden>{offline ? '⚡' : '!'}</div>
      <h3>{offline ? 'Not connected' : 'Something went wrong'}</h3>
      <p className="muted">{error.message}</p>
      {onRetry && (
        <button className="btn" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Loading({ label = 'Loading…', rows = 3 }: { label?: string; rows?: number }) {
  return (
    <div className="state-loading" role="status" aria-label={label}>
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="skeleton" style={{ width: `${90 - i * 15}%` }} />
      ))}
    </div>
  );
}

/** A headline number: label, value, the counts behind it, and the rule that defines it (hover the ⓘ). */
/**
 * A headline number. `badge`: the verdict of the PMF check behind it (pmfBadge in src/shared/pmf.ts), so the tile and
 * the scorecard say the same; the tile is highlighted only while that signal is present.
 */
export function Tile({ label, value, sub, definition, badge, testId }: { label: string; value: ReactNode; sub?: ReactNode; definition?: string; badge?: { word: string; tone: string; verdict: string } | null; testId?: string }) {
  const present = !!badge && (badge.verdict === 'strong' || badge.verdict === 'weak' || badge.verdict === 'pivot');
  return (
    <div className={`tile ${present ? 'hot' : ''}`} data-testid={testId}>
      <div className="tile-label">
        {label}
        {definition && <Info text={definition} />}
      </div>
      <div className="tile-value" data-testid={testId ? `${testId}-value` : undefined}>
        {value}
      </div>
      {(sub || badge) && (
        <div className="tile-sub">
          {badge && (
            <span className={`badge ${badge.tone} tile-hot`} data-testid={testId ? `${testId}-badge` : undefined}>
              {badge.word}
            </span>
          )}{' '}
          {sub}
        </div>
      )}
    </div>
  );
}

/** A small ⓘ whose tooltip is the metric's definition (from src/shared/metrics.ts). */
export function Info({ text }: { text: string }) {
  return (
    <span className="info-icon" title={text} aria-label={text} role="img">
      i
    </span>
  );
}

/** A horizontal bar for a share inside a table cell. */
export function ShareBar({ value, tone = 'accent' }: { value: number | null; tone?: 'accent' | 'bad' | 'good' | 'warn' }) {
  return (
    <div className="share-bar">
      <div className={`share-fill ${tone}`} style={{ width: `${Math.round(Math.min(1, Math.max(0, value ?? 0)) * 100)}%` }} />
    </div>
  );
}
