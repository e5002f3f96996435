import { useEffect, useState } from 'react';

/** Hash routes (#/overview, #/users/<id>): work the same from file:// (Electron) and http:// (web mode). */
export interface Route {
  page: string;
  params: string[];
}

export function parseRoute(hash: string): Route {
  // Web mode opens with the token in the fragment, alone (#token=…) or after a route (#/users&token=…).
  const parts = hash.replace(/(^#|&)token=[^&]*/, '').replace(/^#?\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { page: 'overview', params: [] };
  return { page: parts[0], params: parts.slice(1) };
}

export function navigate(page: string, ...params: string[]): void {
  window.location.hash = '#/' + [page, ...params].map(encodeURIComponent).join('/');
}

export function hrefTo(page: string, ...params: string[]): string {
  return '#/' + [page, ...params].map(encodeURIComponent).join('/');
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
