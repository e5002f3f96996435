/**
 * The one web-platform global src/shared uses that both of its runtimes have (Node ≥ 20 and the browser): the WHATWG
 * URL parser. src/shared compiles without the DOM and Node libraries (tsconfig.shared.json), so it is declared here,
 * as much of it as the shared code reads; inside main or the renderer the real declarations apply.
 */
declare class URL {
  constructor(url: string, base?: string);
  readonly protocol: string;
  readonly username: string;
  readonly password: string;
  readonly hostname: string;
  readonly host: string;
  readonly port: string;
  readonly pathname: string;
  readonly search: string;
  readonly hash: string;
  readonly searchParams: { get(name: string): string | null; has(name: string): boolean };
}
